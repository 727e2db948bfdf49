"""File drop: a folder an agency puts its CSV / XLSX files into. Every file in it makes up the delivery; the
same files as last time (by name and content) are nothing new."""

import hashlib
from collections.abc import Iterator
from pathlib import Path

from pipelines.sources import http
from pipelines.sources.delivery import Delivery

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
    memo_file = memo / "files.json"
    files = deliverable_files(options)
    taken = {}
    for file in files:   # one file in memory at a time
        with file.open("rb") as stream:
            taken[file.name] = hashlib.file_digest(stream, "sha256").hexdigest()
    if taken == http.load_memo(memo_file).get("files"):
        return   # the folder holds what the last delivery held
    for file in files:
        yield Delivery(file.name, file.read_bytes(), str(file))
    http.save_memo(memo_file, {"files": taken})
