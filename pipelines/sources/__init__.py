"""Source connectors: one module per way an agency delivers data. Each module has
`pull(options, memo) -> Iterator[Delivery]`: `options` is the catalogue entry's `source` block, `memo` a
folder of its own where a connector keeps what it must remember between runs (cursors, ETags)."""

from collections.abc import Iterator
from pathlib import Path

from pipelines.catalogue import Source
from pipelines.sources import file_drop
from pipelines.sources.delivery import Delivery

KINDS = {"file_drop": file_drop.pull}


def pull(source: Source, memo: Path) -> Iterator[Delivery]:
    if source.kind not in KINDS:
        raise ValueError(f"unknown source kind {source.kind!r} (known: {sorted(KINDS)})")
    memo.mkdir(parents=True, exist_ok=True)
    return KINDS[source.kind](source.options, memo)
