"""The reported period a file name states, as agencies name their files."""

from datetime import date

import pytest
import yaml

from pipelines import settings
from pipelines.catalogue import CatalogueError, load_regency
from pipelines.standard.period import period_of


@pytest.mark.parametrize(
    "name, label, start, end",
    [
        ("harga_pasar_2026-10.csv", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("harga_pasar_2026-10_minggu3-4.xlsx", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),  # weeks: the month
        ("rekap_oktober_2026.xlsx", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("Rekap Harga Pebruari 2024.xlsx", "2024-02", date(2024, 2, 1), date(2024, 2, 29)),  # old spelling, leap
        ("harga_nop_2026.csv", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("2026_10", "2026-10", date(2026, 10, 1), date(2026, 10, 31)),
        ("laporan 12-2025.csv", "2025-12", date(2025, 12, 1), date(2025, 12, 31)),
        ("harga_2026-10-05.csv", "2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),
        ("harga 05-10-2026.csv", "2026-10-05", date(2026, 10, 5), date(2026, 10, 5)),  # day first
        ("bank_sampah_2025_TW1.csv", "2025 TW1", date(2025, 1, 1), date(2025, 3, 31)),
        ("Rekap Triwulan IV 2025.xlsx", "2025 TW4", date(2025, 10, 1), date(2025, 12, 31)),
        ("rekap semester 2 2025.xlsx", "2025 S2", date(2025, 7, 1), date(2025, 12, 31)),
        ("rekap_serbu_gass_2025.xlsx", "2025", date(2025, 1, 1), date(2025, 12, 31)),
        ("Rekap Agust 2026.xlsx", "2026-08", date(2026, 8, 1), date(2026, 8, 31)),  # colloquial
        ("harga_nopember_2026.csv", "2026-11", date(2026, 11, 1), date(2026, 11, 30)),
        ("rekap januari s.d. maret 2025.xlsx", "2025-01..2025-03", date(2025, 1, 1), date(2025, 3, 31)),  # ranges
        ("rekap Jan s/d Jun 2025.xlsx", "2025-01..2025-06", date(2025, 1, 1), date(2025, 6, 30)),
        ("Rekap Juli-Sept 2025.xlsx", "2025-07..2025-09", date(2025, 7, 1), date(2025, 9, 30)),
        ("harga 1 s.d. 15 Oktober 2026.csv", "2026-10-01..2026-10-15", date(2026, 10, 1), date(2026, 10, 15)),
        ("harga_16_sampai_31_okt_2026.csv", "2026-10-16..2026-10-31", date(2026, 10, 16), date(2026, 10, 31)),
    ],
)
def test_a_file_name_states_its_period(name, label, start, end):
    period = period_of(name)
    assert (period.label, period.start, period.end) == (label, start, end)


@pytest.mark.parametrize(
    "name",
    [
        "wifi-publik.csv",
        "kunjungan-wisata-6409.json",
        "goppu-rekap-layanan-page-0001.json",
        "rekap_2025_2026.xlsx",
        "harga_pasar_2025_2026-10.csv",
    ],
)
def test_no_period_or_more_than_one_is_no_guess(name):
    assert period_of(name) is None


def test_a_catalogue_period_is_read_with_the_same_rules_and_a_wrong_one_fails_at_load(tmp_path):
    doc = yaml.safe_load((settings.catalogue_dir() / "penajam-paser-utara.yaml").read_text())
    market = next(d for d in doc["datasets"] if d["name"] == "harga-pasar")
    market["period"] = "Oktober 2026"
    (tmp_path / "ppu.yaml").write_text(yaml.safe_dump(doc))
    dataset = next(d for d in load_regency(tmp_path / "ppu.yaml").datasets if d.name == "harga-pasar")
    assert (dataset.period.start, dataset.period.end) == (date(2026, 10, 1), date(2026, 10, 31))
    market["period"] = "bulan lalu"
    (tmp_path / "ppu.yaml").write_text(yaml.safe_dump(doc))
    with pytest.raises(CatalogueError, match="'bulan lalu' is not a period"):
        load_regency(tmp_path / "ppu.yaml")
