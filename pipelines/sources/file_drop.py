"""File drop: a folder an agency puts its CSV / XLSX files into."""

from collections.abc import Iterator
from pathlib import Path

from pipelines.sources.delivery import Delivery

# Names that editors and uploaders use while a file is still being written.
PARTIAL_MARKERS = (".part", ".partial", ".tmp", ".crdownload")


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    folder = Path(options["path"])
    if not folder.is_dir():
        raise FileNotFoundError(f"folder unggahan tidak ada / drop folder does not exist: {folder}")
    files = sorted({p for pattern in options.get("patterns", ["*.csv", "*.xlsx"]) for p in folder.glob(pattern)})
    for file in files:
        if file.name.startswith((".", "~$")) or file.name.endswith(PARTIAL_MARKERS):
            continue
        yield Delivery(file.name, file.read_bytes(), str(file))
