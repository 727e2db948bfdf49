"""The walidata's side of the portal's data requests (permintaan data), from the command line.

The portal keeps the requests (ckanext-satudata, ``datarequests.py``); these call its ``satudata_datarequest_list``
and ``satudata_datarequest_answer`` actions with a token from the environment. Only a walidata's token (a
sysadmin, or an editor of the regency's ``walidata-<slug>`` organisation, e.g. the publishing user
``satudata portal setup`` makes) sees the requesters' contacts and may answer.
"""

from __future__ import annotations

import os

import ckanapi
from tabulate import tabulate

from pipelines.catalogue import CatalogueError, load_portals
from pipelines.publish import Portal

PAGE = 1000  # the portal's largest page


class RequestError(Exception):
    """The portal refused or cannot be asked; the message says why in Bahasa Indonesia and English."""


def portal(name: str, token_env: str = "") -> Portal:
    """Portal `name` of catalogue/portals.yaml, with the token in `token_env` (default: the portal's api_token_env)."""
    target = load_portals().get(name)
    if target is None:
        raise CatalogueError(f"portals.yaml: portal {name!r} tidak ada / is not there", "portals.yaml")
    return Portal(target.url, os.environ.get(token_env or target.api_token_env) or None)


def list_requests(portal: Portal, status: str = "", year: int | None = None) -> list[dict]:
    """Every request (newest first), with the requester's name and contact when the token is a walidata's."""
    found: list[dict] = []
    while True:
        page = _call(
            portal.read, "satudata_datarequest_list", status=status or None, year=year, limit=PAGE, offset=len(found)
        )
        found += page["results"]
        if not page["results"] or len(found) >= page["count"]:
            return found


def table(found: list[dict]) -> str:
    rows = [
        [
            r["id"],
            r["status"],
            r["created"][:10],
            r["title"],
            r["dataset"] or r["reason"] or "",
            f"{r['requester_name']} <{r['requester_contact']}>" if "requester_contact" in r else "-",
        ]
        for r in found
    ]
    return tabulate(
        rows,
        headers=[
            "No",
            "Status",
            "Diterima / received",
            "Judul / title",
            "Dataset / alasan (reason)",
            "Pemohon / requester",
        ],
    )


def answer(portal: Portal, number: int, status: str, dataset: str = "", reason: str = "") -> dict:
    return _call(
        portal.write,
        "satudata_datarequest_answer",
        id=number,
        status=status,
        dataset=dataset or None,
        reason=reason or None,
    )


def _call(send, action: str, **data):
    try:
        return send(action, **{key: value for key, value in data.items() if value is not None})
    except ckanapi.NotAuthorized as refused:
        raise RequestError(
            "token tidak berhak: hanya walidata (sysadmin atau editor organisasi walidata-<slug>) "
            "yang menjawab permintaan; pasang tokennya di variabel --token-env / the token is not "
            "allowed: only the walidata (a sysadmin or an editor of the walidata-<slug> "
            "organisation) answers requests; set its token in the --token-env variable"
        ) from refused
    except ckanapi.NotFound as missing:
        raise RequestError(f"permintaan tidak ada / no such request: {data.get('id')}") from missing
    except ckanapi.ValidationError as invalid:
        errors = {key: value for key, value in invalid.error_dict.items() if key != "__type"}
        raise RequestError(f"ditolak portal / refused by the portal: {errors}") from invalid
