"""The database connector on a real SQLite file and a real PostgreSQL database: incremental reads by a cursor
column, the cursor advanced only after the rows were delivered."""

import csv
import io
from datetime import datetime

import pytest
import sqlalchemy as sa

from pipelines.catalogue import Source
from pipelines.sources import SourceError, pull, settle

QUERY = "SELECT id, tanggal, pasar, harga, diperbarui FROM harga_harian WHERE harga IS NOT NULL"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'siharpa.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _insert(url: str, rows: list[tuple]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS harga_harian (id INTEGER PRIMARY KEY, tanggal DATE,"
                                   " pasar VARCHAR(80), harga NUMERIC(12, 3), diperbarui TIMESTAMP)")
        connection.execute(sa.text("INSERT INTO harga_harian VALUES (:id, :tanggal, :pasar, :harga, :diperbarui)"),
                           [dict(zip(["id", "tanggal", "pasar", "harga", "diperbarui"], r)) for r in rows])
    engine.dispose()


def _rows(deliveries) -> list[dict]:
    return [row for d in deliveries for row in csv.DictReader(io.StringIO(d.data.decode()))]


def _row(i: int, hour: int) -> tuple:
    return (i, datetime(2026, 10, 20 + i).date(), f"Pasar {i} – Waru", i + 0.234, datetime(2026, 10, 22, hour))


@pytest.mark.parametrize("cursor", ["id", "diperbarui"])
def test_incremental_reads_by_cursor(db_url, tmp_path, monkeypatch, cursor):
    monkeypatch.setenv("SIHARPA_DB", db_url)
    source = Source("database", {"url_env": "SIHARPA_DB", "query": QUERY + ";", "cursor_column": cursor,
                                 "name": "harga"})
    _insert(db_url, [_row(1, 8), _row(2, 9)])
    [first] = pull(source, tmp_path)
    assert first.name == "harga.csv" and "SIHARPA_DB" not in first.origin
    rows = _rows([first])
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["pasar"] == "Pasar 1 – Waru"
    assert rows[0]["harga"] == "1.2340"  # 1.234 in a form the Indonesian number reader cannot misread
    # Not yet merged and published (a later step failed): the next pull brings the same rows again.
    assert [r["id"] for r in _rows(pull(source, tmp_path))] == ["1", "2"]
    settle(tmp_path)                              # now they are: the cursor moves
    assert list(pull(source, tmp_path)) == []     # nothing new
    _insert(db_url, [_row(3, 10), _row(4, 11)])
    unfinished = pull(source, tmp_path)
    next(unfinished)
    unfinished.close()  # archiving failed: the cursor must not move
    settle(tmp_path)
    assert [r["id"] for r in _rows(pull(source, tmp_path))] == ["3", "4"]
    settle(tmp_path)
    assert list(pull(source, tmp_path)) == []


def test_full_read_without_cursor_and_password_not_in_origin(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SIHARPA_DB", postgres_url)
    _insert(postgres_url, [_row(1, 8)])
    source = Source("database", {"url_env": "SIHARPA_DB", "query": QUERY})
    assert [len(_rows(pull(source, tmp_path))) for _ in range(2)] == [1, 1]
    password = sa.engine.make_url(postgres_url).password
    [delivery] = pull(source, tmp_path)
    assert delivery.name == "query.csv" and (not password or password not in delivery.origin)


def test_bad_query_and_missing_url_are_source_errors(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kosong.sqlite'}"
    monkeypatch.setenv("SIHARPA_DB", url)
    with pytest.raises(SourceError, match="kueri basis data gagal"):
        list(pull(Source("database", {"url_env": "SIHARPA_DB", "query": "SELECT * FROM tidak_ada"}), tmp_path))
    with pytest.raises(SourceError, match="TIDAK_DISET"):
        list(pull(Source("database", {"url_env": "TIDAK_DISET", "query": "SELECT 1"}), tmp_path))
