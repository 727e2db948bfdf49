"""Source connectors: one module per way an agency delivers data. Each module has
`pull(options, memo) -> Iterator[Delivery]`: `options` is the catalogue entry's `source` block, `memo` a
folder of its own where a connector keeps what it must remember between runs (cursors, ETags), so that a
source with nothing new delivers nothing. A delivery's data may be a stream (a download, a file, a spooled
table), so the caller archives each delivery before asking for the next. Sources that can only deliver
everything again (a drop folder, API pages, a table read whole) are recognised by `unchanged`: the same files,
by name and content, as the last delivery. A connector that cannot deliver raises `SourceError`, which fails only
that dataset's asset.

A source's position advances only once what it brought is safe: `pull` hands the connector a working copy
of its memo, and `settle` makes that copy the memo after the delivery was merged and published (or
quarantined). A failure anywhere between (warehouse down, portal refused) leaves the old position, so the
next run brings the same data again instead of finding "nothing new" and publishing nothing."""

import hashlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from pipelines.catalogue import Source
from pipelines.sources import api, ckan, database, file_drop, http, url
from pipelines.sources.delivery import Delivery, SourceError

KINDS = {"file_drop": file_drop.pull, "url": url.pull, "api": api.pull, "database": database.pull, "ckan": ckan.pull}

__all__ = ["KINDS", "Delivery", "SourceError", "delivered_already", "pull", "settle", "unchanged"]


def _working_copy(memo: Path) -> Path:
    return memo.with_name(memo.name + ".pending")


def pull(source: Source, memo: Path) -> Iterator[Delivery]:
    if source.kind not in KINDS:
        raise ValueError(f"unknown source kind {source.kind!r} (known: {sorted(KINDS)})")
    working = _working_copy(memo)
    shutil.rmtree(working, ignore_errors=True)
    if memo.is_dir():
        shutil.copytree(memo, working)
    else:
        working.mkdir(parents=True)
    return KINDS[source.kind](source.options, working)


def unchanged(memo: Path, delivered: list[tuple[str, str]]) -> bool:
    """Whether a pull brought exactly the files (name, SHA-256) of the last delivery that was published;
    otherwise they are noted in the working copy, to become the memo when this delivery is published."""
    files = sorted([name, digest] for name, digest in delivered)
    if files == http.load_memo(memo / "delivered.json").get("files"):
        return True
    http.save_memo(_working_copy(memo) / "delivered.json", {"files": files})
    return False


def delivered_already(source: Source, memo: Path) -> bool:
    """Whether a drop folder holds exactly the files of its last published delivery, or none: knowable without
    a run, as the file-drop sensor knows it. Other kinds must be asked (the raw step's work), so never."""
    if source.kind != "file_drop":
        return False
    try:
        files = file_drop.deliverable_files(source.options)
    except FileNotFoundError:
        return False  # the raw step names the missing folder
    found = sorted([f.name, _sha256(f)] for f in files)
    # An empty folder brings nothing either (an agency that has sent nothing yet is the lateness check's).
    return not found or found == http.load_memo(memo / "delivered.json").get("files")


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def settle(memo: Path) -> None:
    """The position the last pull reached becomes the source's memo (file by file, each atomically)."""
    working = _working_copy(memo)
    if not working.is_dir():
        return
    memo.mkdir(parents=True, exist_ok=True)
    for file in working.iterdir():
        os.replace(file, memo / file.name)
    shutil.rmtree(working)
