"""Source connectors: one module per way an agency delivers data. Each module has
`pull(options, memo) -> Iterator[Delivery]`: `options` is the catalogue entry's `source` block, `memo` a
folder of its own where a connector keeps what it must remember between runs (cursors, ETags). A connector
that cannot deliver raises `SourceError`, which fails only that dataset's asset."""

from collections.abc import Iterator
from pathlib import Path

from pipelines.catalogue import Source
from pipelines.sources import api, ckan, database, file_drop, url
from pipelines.sources.delivery import Delivery, SourceError

KINDS = {"file_drop": file_drop.pull, "url": url.pull, "api": api.pull, "database": database.pull,
         "ckan": ckan.pull}

__all__ = ["KINDS", "Delivery", "SourceError", "pull"]


def pull(source: Source, memo: Path) -> Iterator[Delivery]:
    if source.kind not in KINDS:
        raise ValueError(f"unknown source kind {source.kind!r} (known: {sorted(KINDS)})")
    memo.mkdir(parents=True, exist_ok=True)
    return KINDS[source.kind](source.options, memo)
