"""What every source connector yields, and how a connector says that a source failed."""

from dataclasses import dataclass
from typing import BinaryIO

from pipelines.catalogue import DEFAULT_MAX_BYTES


@dataclass(frozen=True)
class Delivery:
    name: str  # a file name that tells the parser the format (.csv, .xlsx, .json)
    # Exactly what the agency's system returned, archived before parsing: a small page as bytes, a file or
    # download as a stream the archive reads once in blocks, valid until the next delivery is asked for.
    data: bytes | BinaryIO
    origin: str  # path or URL it came from (never with a secret in it)


class SourceError(RuntimeError):
    """A source that cannot deliver, in words for agency staff: `pesan / message`. Never holds a secret.
    `permanent`: asking again cannot help (the step fails at once instead of retrying)."""

    def __init__(self, pesan: str, message: str, permanent: bool = False):
        super().__init__(f"{pesan} / {message}")
        self.permanent = permanent


def max_bytes(options: dict) -> int:
    """The source's size cap (`max_bytes` in its catalogue entry)."""
    return int(options.get("max_bytes", DEFAULT_MAX_BYTES))


def too_large(origin: str, limit: int, size: int | None = None) -> SourceError:
    """A delivery over its source's cap (`size` when known before reading), refused before anything is archived."""
    dots = lambda n: f"{n:,}".replace(",", ".")  # noqa: E731 (Indonesian thousands separator)
    ukuran, measured = (f" ({dots(size)} byte)", f" ({size:,} bytes)") if size is not None else ("", "")
    return SourceError(
        f"kiriman terlalu besar{ukuran}: melebihi batas {dots(limit)} byte sumber ini (max_bytes di katalog);"
        f" tidak ada yang diarsipkan; kirim per periode atau minta walidata menaikkan batasnya: {origin}",
        f"delivery too large{measured}: over this source's limit of {limit:,} bytes (max_bytes in the catalogue);"
        f" nothing was archived; send it split by period or ask the walidata to raise the limit: {origin}",
        permanent=True,
    )
