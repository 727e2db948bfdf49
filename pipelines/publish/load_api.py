"""Portals without the project's extension: CKAN's own DataStore API. A first load goes in batches while the
dataset is still private (the public never sees half a table); a change set goes in one `datastore_upsert`
when it fits one call (one transaction), and each deleted key is one `datastore_delete`."""

from concurrent.futures import ThreadPoolExecutor

import pandas as pd

from pipelines.publish.client import Portal, call
from pipelines.publish.rows import records

FIRST_LOAD_BATCH = 50_000  # rows per call on an API first load (the dataset is still private)
API_WORKERS = 2  # first-load batches in flight at once: 2.4x one at a time, 3 is slower
ATOMIC_MAX_ROWS = 250_000  # API path: changed rows sent in one call (one transaction)
UPDATE_BATCH = 50_000


def load_whole(portal: Portal, resource_id: str, fields: list[dict], key: list[str], rows: pd.DataFrame) -> None:
    """The whole table, after clearing what the DataStore table holds."""
    # datastore_create on an existing table only adds what is new (fields' info, the key); no row is touched.
    call(portal, "load", "datastore_create", resource_id=resource_id, fields=fields, primary_key=key, force=True)
    call(portal, "load", "datastore_delete", resource_id=resource_id, filters={}, force=True)
    batched = records(rows)
    batches = [batched[start : start + FIRST_LOAD_BATCH] for start in range(0, len(batched), FIRST_LOAD_BATCH)]

    def insert(batch: list[dict], **count) -> None:
        call(
            portal,
            "load",
            "datastore_upsert",
            resource_id=resource_id,
            records=batch,
            method="insert",
            force=True,
            **count,
        )

    # CKAN 2.12's upsert cancels the table's pending record-count job; two upserts doing that at once fail
    # (HTTP 500, rq InvalidJobOperation). So the batches in flight together skip it, and the last one,
    # sent alone, schedules the count as usual.
    with ThreadPoolExecutor(API_WORKERS) as pool:
        list(pool.map(lambda batch: insert(batch, calculate_record_count=False), batches[:-1]))
    if batches:
        insert(batches[-1])


def load_changes(portal: Portal, resource_id: str, upserts: pd.DataFrame, deletes: pd.DataFrame) -> list[str]:
    """A change set; returns a warning when it was too large for one call (one transaction)."""
    rows = records(upserts)
    warnings = []
    if len(rows) > ATOMIC_MAX_ROWS:
        warnings.append(f"{len(rows)} changed rows sent in batches of {UPDATE_BATCH}: not one transaction")
    size = len(rows) if len(rows) <= ATOMIC_MAX_ROWS else UPDATE_BATCH
    for start in range(0, len(rows), max(size, 1)):
        call(
            portal,
            "update",
            "datastore_upsert",
            resource_id=resource_id,
            records=rows[start : start + size],
            method="upsert",
            force=True,
        )
    for values in records(deletes):
        call(portal, "update", "datastore_delete", resource_id=resource_id, filters=values, force=True)
    return warnings
