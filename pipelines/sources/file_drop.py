"""File drop: a folder an agency puts its CSV / XLSX files into. Every file in it makes up the delivery (the
same files as last time are recognised as nothing new by `sources.unchanged`)."""

from collections.abc import Iterator
from pathlib import Path

from pipelines.sources.delivery import Delivery, max_bytes, too_large

# Names that editors and uploaders use while a file is still being written.
PARTIAL_MARKERS = (".part", ".partial", ".tmp", ".crdownload")


def deliverable_files(options: dict) -> list[Path]:
    """The files of the folder that are meant for the pipeline, in name order."""
    folder = Path(options["path"])
    if not folder.is_dir():
        raise FileNotFoundError(f"folder unggahan tidak ada / drop folder does not exist: {folder}")
    files = {p for pattern in options.get("patterns", ["*.csv", "*.xlsx"]) for p in folder.glob(pattern)}
    return sorted(f for f in files if not f.name.startswith((".", "~$")) and not f.name.endswith(PARTIAL_MARKERS))


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    files = deliverable_files(options)
    # The folder is one delivery: checked whole before any file is archived.
    size, limit = sum(f.stat().st_size for f in files), max_bytes(options)
    if size > limit:
        raise too_large(options["path"], limit, size)
    for file in files:
        with file.open("rb") as stream:  # read by the archive in blocks, never whole
            yield Delivery(file.name, stream, str(file))
