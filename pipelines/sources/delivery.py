"""What every source connector yields."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Delivery:
    name: str     # a file name that tells the parser the format (.csv, .xlsx, .json)
    data: bytes   # exactly what the agency's system returned, archived before parsing
    origin: str   # path or URL it came from (never with a secret in it)
