"""The raw archive: every byte an agency sent, kept unchanged under its sha256 before any parsing,
with a manifest of what was pulled, from where and when. A delivery found to carry personal data is
locked (owner read-only) and deleted when its retention ends; the register (`data-pribadi.jsonl`) keeps its
digest, what was found and when it was deleted."""

import hashlib
import io
import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from pipelines.settings import private_folder

BLOCK = 1024 * 1024
PERSONAL_REGISTER = "data-pribadi.jsonl"


@dataclass(frozen=True)
class RawFile:
    name: str  # the name the agency gave it
    sha256: str
    size: int
    source: str  # where it came from (path or URL)
    path: str  # where the archive keeps it
    pulled_at: str


def batch_id(files: list[RawFile]) -> str:
    """A batch is named by the content of its files, so the same files always give the same id."""
    return hashlib.sha256("".join(sorted(f.sha256 for f in files)).encode()).hexdigest()[:16]


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
            Path(partial).unlink(missing_ok=True)  # a refused delivery or a full disk keeps no half-written copy
            raise
        record = RawFile(
            name,
            digest.hexdigest(),
            size,
            source,
            str(target),
            datetime.now(timezone.utc).isoformat(timespec="seconds"),
        )
        with self.manifest(regency, dataset).open("a", encoding="utf-8") as manifest:
            manifest.write(json.dumps(asdict(record)) + "\n")
        return record

    def mark_personal(
        self,
        regency: str,
        dataset: str,
        files: list[RawFile],
        found: list[str],
        keep_days: int,
        today: date | None = None,
    ) -> date:
        """Lock the delivery's files and register them for deletion `keep_days` from `today`; `found` says what
        (codes and columns, never values). A file registered before keeps its first deadline."""
        today = today or date.today()
        register = self._register()
        marked = {entry["path"] for entry in register}
        delete_after = today + timedelta(days=keep_days)
        for raw in files:
            if Path(raw.path).exists():
                os.chmod(raw.path, 0o400)
            if raw.path not in marked:
                register.append(
                    {
                        "regency": regency,
                        "dataset": dataset,
                        "name": raw.name,
                        "sha256": raw.sha256,
                        "path": raw.path,
                        "found": found,
                        "marked_on": today.isoformat(),
                        "delete_after": delete_after.isoformat(),
                        "deleted_on": None,
                    }
                )
        self._write_register(register)
        return min(date.fromisoformat(e["delete_after"]) for e in register if e["path"] in {raw.path for raw in files})

    def expire_personal(self, today: date | None = None) -> list[dict]:
        """Delete the registered files whose retention has ended; returns their register entries. The cost
        follows the register (the deliveries found with personal data), not the archive."""
        today = today or date.today()
        register, expired = self._register(), []
        for entry in register:
            if entry["deleted_on"] is None and date.fromisoformat(entry["delete_after"]) < today:
                Path(entry["path"]).unlink(missing_ok=True)
                entry["deleted_on"] = today.isoformat()
                expired.append(entry)
        if expired:
            self._write_register(register)
        return expired

    def _register(self) -> list[dict]:
        path = self.root / PERSONAL_REGISTER
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

    def _write_register(self, entries: list[dict]) -> None:
        private_folder(self.root)
        handle, partial = tempfile.mkstemp(dir=self.root, prefix=".", suffix=".partial")
        with open(handle, "w", encoding="utf-8") as file:
            file.writelines(json.dumps(entry) + "\n" for entry in entries)
        os.replace(partial, self.root / PERSONAL_REGISTER)  # a crash leaves the old register whole
