"""The dataset page's "Metadata Statistik" section: the BPS metadata statistik (MS-Keg, MS-Var, MS-Ind) that the
pipeline publishes beside each table as `<dataset>-metadata-statistik.json` and `.xlsx`
(pipelines/publish/metadata_statistik.py), read from the uploaded JSON, so the page shows exactly what is downloaded."""

from __future__ import annotations

import json
import logging

from ckan.lib import uploader

log = logging.getLogger(__name__)
SUFFIX = "-metadata-statistik"


def _upload(pkg: dict, extension: str) -> dict | None:
    return next(
        (
            r
            for r in pkg.get("resources", [])
            if r.get("name", "").endswith(SUFFIX + extension) and r.get("url_type") == "upload"
        ),
        None,
    )


def section(pkg: dict) -> dict | None:
    """{"metadata": the published JSON, "json_url", "xlsx_url"}, or None for a dataset without it."""
    resource = _upload(pkg, ".json")
    if resource is None:
        return None
    try:
        with open(uploader.get_resource_uploader(resource).get_path(resource["id"]), encoding="utf-8") as handle:
            metadata = json.load(handle)
    except (OSError, ValueError) as error:  # the page still shows the rest of the dataset
        log.warning("metadata statistik of %s unreadable: %s", pkg.get("name"), error)
        return None
    xlsx = _upload(pkg, ".xlsx")
    return {"metadata": metadata, "json_url": resource.get("url"), "xlsx_url": xlsx.get("url") if xlsx else None}
