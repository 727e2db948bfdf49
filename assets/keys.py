"""Asset keys. A deployment that splits its catalogue into several code locations (one per province, say)
runs each location's code server with its own SATUDATA_LOCATION, which prefixes every key of that location:
Dagster's asset graph spans all locations, so two provinces' `harga_pasar/raw` must not share a key."""

import dagster as dg

from pipelines import settings


def key(*path: str) -> dg.AssetKey:
    return dg.AssetKey([*filter(None, [settings.location()]), *path])
