"""The raw archive: every byte an agency sent, kept unchanged under its sha256 before any parsing,
with a manifest of what was pulled, from where and when."""

import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import BinaryIO

from pipelines.settings import private_folder

BLOCK = 1024 * 1024


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

    def store(self, regency: str, dataset: str, name: str, data: bytes | BinaryIO, source: str) -> RawFile:
        """Archive the bytes or the stream (read once, in blocks) once per content. Hashed while written to a
        partial file, so a delivery of any size passes in bounded memory; a content seen before is not kept twice.
        A failed read (a source over its size cap, a cut download) or write leaves nothing behind."""
        stream = io.BytesIO(data) if isinstance(data, bytes) else data
        folder = self.root / regency / dataset
        private_folder(self.root)
        folder.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        handle, partial = tempfile.mkstemp(dir=folder, prefix=".", suffix=".partial")
        try:
            with open(handle, "wb") as file:
                while block := stream.read(BLOCK):
                    digest.update(block)
                    file.write(block)
                    size += len(block)
            target = folder / digest.hexdigest() / name
            if target.exists():
                os.unlink(partial)
            else:
                target.parent.mkdir(exist_ok=True)
                os.replace(partial, target)  # atomic: a crash never leaves a half-archived file under its real name
        except BaseException:
            Path(partial).unlink(missing_ok=True)   # a refused delivery or a full disk keeps no half-written copy
            raise
        record = RawFile(name, digest.hexdigest(), size, source, str(target),
                         datetime.now(timezone.utc).isoformat(timespec="seconds"))
        with self.manifest(regency, dataset).open("a", encoding="utf-8") as manifest:
            manifest.write(json.dumps(asdict(record)) + "\n")
        return record
