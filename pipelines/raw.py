"""The raw archive: every byte an agency sent, kept unchanged under its sha256 before any parsing,
with a manifest of what was pulled, from where and when."""

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.settings import private_folder


@dataclass(frozen=True)
class RawFile:
    name: str        # the name the agency gave it
    sha256: str
    size: int
    source: str      # where it came from (path or URL)
    path: str        # where the archive keeps it
    pulled_at: str


class RawArchive:
    def __init__(self, root: Path):
        self.root = Path(root)

    def manifest(self, regency: str, dataset: str) -> Path:
        return self.root / regency / dataset / "manifest.jsonl"

    def store(self, regency: str, dataset: str, name: str, data: bytes, source: str) -> RawFile:
        """Archive the bytes once per content; a file seen before is not written again."""
        digest = hashlib.sha256(data).hexdigest()
        folder = self.root / regency / dataset
        target = folder / digest / name
        if not target.exists():
            private_folder(self.root)
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_name(target.name + ".partial")
            try:
                partial.write_bytes(data)
            except OSError:
                partial.unlink(missing_ok=True)   # a full disk keeps no half-written copy
                raise
            partial.replace(target)  # atomic: a crash never leaves a half-archived file under its real name
        record = RawFile(name, digest, len(data), source, str(target),
                         datetime.now(timezone.utc).isoformat(timespec="seconds"))
        with self.manifest(regency, dataset).open("a", encoding="utf-8") as manifest:
            manifest.write(json.dumps(asdict(record)) + "\n")
        return record
