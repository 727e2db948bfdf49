"""The raw archive reads a delivery as a stream, hashing while it writes, and keeps nothing of one that fails
while read; the file drop hands its files over as streams, refused whole when the folder passes its cap. A
delivery found with personal data is locked and deleted when its retention ends, by the nightly Dagster job."""

import hashlib
import io
import json
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from assets.resources import StateResource
from assets.retention import personal_data_retention
from pipelines.catalogue import Source
from pipelines.raw import BLOCK, PERSONAL_REGISTER, RawArchive
from pipelines.sources import SourceError, pull


class _Cut:
    """A stream that gives `good` bytes, then fails as a cut download does."""

    def __init__(self, good: int):
        self.left = good

    def read(self, size: int) -> bytes:
        if not self.left:
            raise SourceError("unduhan terpotong", "download truncated")
        given = min(size, self.left)
        self.left -= given
        return b"x" * given


def _files(root: Path) -> list[Path]:
    return sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())


def test_a_stream_is_archived_in_blocks_with_its_sha256_once_per_content(tmp_path):
    body = bytes(range(256)) * (3 * BLOCK // 256 + 7)  # several blocks and a part of one
    archive = RawArchive(tmp_path)
    first = archive.store("ppu", "harga-pasar", "harga.csv", io.BytesIO(body), "test")
    again = archive.store("ppu", "harga-pasar", "harga.csv", body, "test")  # small deliveries come as bytes
    assert first.sha256 == again.sha256 == hashlib.sha256(body).hexdigest() and first.size == len(body)
    assert Path(first.path).read_bytes() == body
    assert _files(tmp_path) == [
        Path("ppu/harga-pasar", first.sha256, "harga.csv"),
        Path("ppu/harga-pasar/manifest.jsonl"),
    ]
    assert len((tmp_path / "ppu/harga-pasar/manifest.jsonl").read_text().splitlines()) == 2


def test_a_stream_that_fails_midway_leaves_nothing_in_the_archive(tmp_path):
    with pytest.raises(SourceError, match="download truncated"):
        RawArchive(tmp_path).store("ppu", "harga-pasar", "harga.csv", _Cut(2 * BLOCK + 5), "t")
    assert _files(tmp_path) == []


def test_a_drop_folder_is_streamed_and_refused_whole_over_its_cap(tmp_path):
    drop = tmp_path / "drop"
    drop.mkdir()
    (drop / "a.csv").write_bytes(b"Tanggal;Harga\n" + b"01/10/2026;15000\n" * 100)  # 1,714 bytes
    (drop / "b.csv").write_bytes(b"Tanggal;Harga\n01/10/2026;16000\n")
    archive = RawArchive(tmp_path / "raw")
    with pytest.raises(SourceError, match=r"\(1,745 bytes\): over this source's limit of 1,000 bytes") as refused:
        [
            archive.store("ppu", "harga-pasar", d.name, d.data, d.origin)
            for d in pull(Source("file_drop", {"path": str(drop), "max_bytes": 1000}), tmp_path / "memo")
        ]
    assert refused.value.permanent and _files(tmp_path / "raw") == []  # not even the first, smaller file
    kept = [
        archive.store("ppu", "harga-pasar", d.name, d.data, d.origin)
        for d in pull(Source("file_drop", {"path": str(drop), "max_bytes": 1745}), tmp_path / "memo")
    ]
    assert [(f.name, Path(f.path).read_bytes()) for f in kept] == [
        (p.name, p.read_bytes()) for p in sorted(drop.iterdir())
    ]


def test_a_delivery_with_personal_data_is_locked_and_deleted_when_its_retention_ends(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    kept = archive.store("ppu", "harga-pasar", "harga.csv", b"tanggal;harga\n", "drop")
    found = archive.store("ppu", "harga-pasar", "kiriman.csv", b"nik;harga\n6409011205800001;1\n", "drop")
    until = archive.mark_personal(
        "ppu", "harga-pasar", [found], ["personal-data-dropped-column: NIK"], 90, today=date(2026, 1, 10)
    )
    assert until == date(2026, 4, 10)
    assert Path(found.path).stat().st_mode & 0o777 == 0o400
    # Found again later (the same bytes re-sent): the first deadline stands.
    assert archive.mark_personal("ppu", "harga-pasar", [found], ["personal-data"], 90, today=date(2026, 3, 1)) == date(
        2026, 4, 10
    )

    assert archive.expire_personal(today=date(2026, 4, 10)) == []
    [expired] = archive.expire_personal(today=date(2026, 4, 11))
    assert expired["sha256"] == found.sha256 and not Path(found.path).exists()
    assert Path(kept.path).exists()
    register = [json.loads(line) for line in (tmp_path / "raw" / PERSONAL_REGISTER).read_text().splitlines()]
    assert register == [expired | {"deleted_on": "2026-04-11"}]
    assert "6409011205800001" not in (tmp_path / "raw" / PERSONAL_REGISTER).read_text()


def test_the_nightly_retention_job_deletes_what_is_due_and_lists_it(tmp_path):
    archive = RawArchive(tmp_path / "raw")
    due = archive.store("ppu", "wifi-publik", "wifi.csv", b"hp\n081255551234\n", "drop")
    archive.mark_personal("ppu", "wifi-publik", [due], ["personal-data-dropped-column: HP"], 30, today=date(2020, 1, 1))
    result = dg.materialize([personal_data_retention], resources={"state": StateResource(root=str(tmp_path))})
    assert result.success and not Path(due.path).exists()
    [event] = result.get_asset_materialization_events()
    metadata = event.materialization.metadata
    assert metadata["deleted"].value == 1
    assert metadata["files"].value[0]["name"] == "wifi.csv"
