"""Source connectors: one module per way an agency delivers data. Each yields (name, bytes, origin)."""

from collections.abc import Iterator

from pipelines.catalogue import Source
from pipelines.sources import file_drop

KINDS = {"file_drop": file_drop.pull}


def pull(source: Source) -> Iterator[tuple[str, bytes, str]]:
    if source.kind not in KINDS:
        raise ValueError(f"unknown source kind {source.kind!r} (known: {sorted(KINDS)})")
    return KINDS[source.kind](**source.options)
