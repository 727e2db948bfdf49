import copy
import re

import pytest
import yaml

from pipelines.settings import schemas_dir
from pipelines.standard import SchemaError, all_standards, code_lists, load_standard, parse_standard


@pytest.fixture
def market_doc():
    with (schemas_dir() / "harga-pasar" / "1.0.0.yaml").open() as handle:
        return yaml.safe_load(handle)


def test_shipped_standard_loads():
    standard = load_standard("harga-pasar/1.0.0")
    assert standard.primary_key == ("tanggal", "kode_pasar", "komoditas")
    assert standard.metadata["frekuensi"] == "Harian"
    assert {f.name: f.type for f in standard.fields}["harga"] == "integer"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda d: d["schema"]["fields"][0].update(type="money"), "unknown type 'money'"),
        # what the product does not check is refused, never silently ignored
        (
            lambda d: d["schema"]["fields"][2]["constraints"].update(unique=True),
            "field 'kode_pasar': constraints: unknown keys ['unique']",
        ),
        (
            lambda d: d["schema"]["fields"][3].setdefault("constraints", {}).update(minLength=3),
            "field 'nama_pasar': constraints: unknown keys ['minLength']",
        ),
        (lambda d: d["schema"]["fields"][0].update(format="%d/%m/%Y"), "field 'tanggal': unknown keys ['format']"),
        (lambda d: d["schema"].update(uniqueKeys=[["kode_pasar"]]), "schema: unknown keys ['uniqueKeys']"),
        (lambda d: d.update(licence="CC-BY"), "unknown keys ['licence']"),
        (lambda d: d["schema"].update(primaryKey=["tanggal", "toko"]), "primary key ['toko'] is not a field"),
        (
            lambda d: d["schema"]["fields"][1]["satudata"].update(code_list="bps-kecamatan"),
            "code list 'bps-kecamatan', which does not exist",
        ),
        (lambda d: d["satudata"].update(frekuensi="Kadang-kadang"), "satudata.frekuensi"),
        (lambda d: d.pop("satudata"), "missing key 'satudata'"),
        # foreign keys: an unknown master list, a field of neither side, a field count that differs
        (
            lambda d: d["schema"]["foreignKeys"][0]["reference"].update(resource="data-induk-toko"),
            "resource 'data-induk-toko', which does not exist",
        ),
        (
            lambda d: d["schema"]["foreignKeys"][0].update(fields=["kode_toko", "kode_kecamatan"]),
            "names fields ['kode_toko'] that are not fields of the schema",
        ),
        (
            lambda d: d["schema"]["foreignKeys"][0]["reference"].update(fields=["kode_pasar", "alamat"]),
            "must be as many as the key's and among",
        ),
        (
            lambda d: d["schema"]["foreignKeys"][0]["reference"].update(fields=["kode_pasar"]),
            "must be as many as the key's and among",
        ),
        (
            lambda d: d["schema"]["foreignKeys"][0].update(fields=["kode_pasar", "kode_kecamatan", "nama_pasar"]),
            "at most two fields are supported",
        ),
        # the period field must be a date; a total must sum other numeric fields
        (lambda d: d["satudata"].update(period_field="harga"), "period_field 'harga' is not a date"),
        (
            lambda d: d["schema"]["fields"][6].setdefault("satudata", {}).update(sum_of=["harga", "satuan"]),
            "sum_of ['harga', 'satuan'] must name other numeric fields",
        ),
        (
            lambda d: d["schema"]["fields"][6].setdefault("satudata", {}).update(sum_of=["ongkos"]),
            "must name other numeric fields",
        ),
        (
            lambda d: d["schema"]["fields"][6].setdefault("satudata", {}).update(sum_of="harga"),
            "must be a list of field names",
        ),
    ],
)
def test_wrong_schema_fails_before_data_is_read(market_doc, change, message):
    doc = copy.deepcopy(market_doc)
    change(doc)
    with pytest.raises(SchemaError, match=re.escape(message)):
        parse_standard(doc, "harga-pasar/1.0.0.yaml")


def test_stored_version_must_match_declared(tmp_path, market_doc):
    (tmp_path / "harga-pasar").mkdir()
    market_doc["version"] = "2.0.0"
    (tmp_path / "harga-pasar" / "1.0.0.yaml").write_text(yaml.safe_dump(market_doc))
    with pytest.raises(SchemaError, match="declares 'harga-pasar/2.0.0'"):
        load_standard("harga-pasar/1.0.0", tmp_path)


def test_every_standard_loads_and_its_code_lists_are_data():
    standards = all_standards()
    assert {s.name for s in standards} >= {
        "harga-pasar",
        "bank-sampah",
        "panggilan-112",
        "kunjungan-wisata",
        "wifi-publik",
        "layanan-publik",
        "tinggi-muka-air",
        "kepatuhan-opd",
    }
    table = code_lists(standards)
    market = table[(table["standard"] == "harga-pasar/1.0.0") & (table["field"] == "komoditas")]
    assert set(market["code"]) == set(load_standard("harga-pasar/1.0.0").fields[4].enum)
    assert not table.duplicated(["standard", "field", "code"]).any()


def test_declared_foreign_keys_totals_and_period_field():
    market = load_standard("harga-pasar/1.0.0")
    [key] = market.foreign_keys
    assert (key.fields, key.resource, key.reference_fields) == (
        ("kode_pasar", "kode_kecamatan"),
        "data-induk-pasar",
        ("kode_pasar", "kode_kecamatan"),
    )
    assert market.period_field == "tanggal"
    visits = load_standard("kunjungan-wisata/1.1.0")
    assert {f.name: f.sum_of for f in visits.fields if f.sum_of} == {
        "jumlah_wisatawan": ("wisatawan_nusantara", "wisatawan_mancanegara")
    }
    assert visits.period_field == "bulan"  # the first date field of the primary key
    # every dated standard; the generic indicator's period is a label (2025, 2025-10, TW1 2025), kept as text
    assert all(s.period_field for s in all_standards() if s.name != "indikator")
