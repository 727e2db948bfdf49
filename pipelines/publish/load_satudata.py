"""The project's portal extension's loader, `satudata_datastore_load` (portal/ckanext-satudata: loader.py): a
whole table or a change set posted as CSV and written in one transaction on the portal, readers keeping the
previous rows until it commits, with the warehouse versions the table then holds recorded in the same
transaction."""

import json

import pandas as pd

from pipelines.publish.client import Portal, call
from pipelines.publish.rows import to_csv


def load_whole(portal: Portal, resource_id: str, key: list[str], rows: pd.DataFrame, versions: dict) -> None:
    """The whole table in place of what the DataStore table holds: an empty table is filled and keyed (the
    key built after the rows are in, in one index build), a filled one replaced."""
    call(
        portal,
        "load",
        "satudata_datastore_load",
        files={"upload": ("tabel.csv", to_csv(rows))},
        resource_id=resource_id,
        method="replace",
        primary_key=",".join(key),
        version=json.dumps(versions),
    )


def load_changes(
    portal: Portal, resource_id: str, key: list[str], upserts: pd.DataFrame, deletes: pd.DataFrame, versions: dict
) -> None:
    """A change set: the written rows and the deleted keys in one call, one transaction."""
    call(
        portal,
        "update",
        "satudata_datastore_load",
        resource_id=resource_id,
        method="upsert",
        primary_key=",".join(key),
        version=json.dumps(versions),
        files={"upload": ("berubah.csv", to_csv(upserts)), "delete": ("dihapus.csv", to_csv(deletes))},
    )
