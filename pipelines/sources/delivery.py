"""What every source connector yields, and how a connector says that a source failed."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    name: str     # a file name that tells the parser the format (.csv, .xlsx, .json)
    data: bytes   # exactly what the agency's system returned, archived before parsing
    origin: str   # path or URL it came from (never with a secret in it)


class SourceError(RuntimeError):
    """A source that cannot deliver, in words for agency staff: `pesan / message`. Never holds a secret."""

    def __init__(self, pesan: str, message: str):
        super().__init__(f"{pesan} / {message}")
