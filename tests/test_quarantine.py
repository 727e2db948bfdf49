"""Where a batch stands with the quarantine (`pipelines.quarantine.standing`), the one answer the warehouse and
portal steps act on: a rejected batch stays out and is never shown as released."""

from pipelines.quarantine import batch_id, decide, quarantine, standing
from pipelines.raw import RawFile

FILES = [
    RawFile(
        "harga_2026-10.csv",
        "ab" * 32,
        120,
        "demo/drops/ppu/disdag",
        "/raw/harga_2026-10.csv",
        "2026-11-02T01:00:00+00:00",
    )
]


def test_a_batch_that_passed_is_not_held(tmp_path):
    passed = standing(tmp_path, "ppu", "harga-pasar", batch_id(FILES))
    assert not passed.held and not passed.blocked and not passed.released_by


def test_a_quarantined_batch_is_blocked_until_released_and_a_rejected_one_for_good(tmp_path):
    batch = quarantine(tmp_path, "ppu", "harga-pasar", FILES, [], []).name
    held = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert held.held and held.blocked and not held.released_by

    decide(tmp_path, "ppu", "harga-pasar", batch, "reject", "walidata.ppu", "angka harga salah")
    rejected = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert rejected.blocked and not rejected.released_by  # never labelled "Dirilis walidata"

    decide(tmp_path, "ppu", "harga-pasar", batch, "release", "walidata.ppu", "harga diperiksa ke pasar")
    released = standing(tmp_path, "ppu", "harga-pasar", batch)
    assert not released.blocked
    assert released.released_by.startswith("walidata.ppu (") and released.released_by.endswith(
        "harga diperiksa ke pasar"
    )
