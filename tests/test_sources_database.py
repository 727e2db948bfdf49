"""The database connector on a real SQLite file and a real PostgreSQL database: incremental reads by a cursor
column, the cursor advanced only after the rows were delivered."""

import csv
import io
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from pipelines.catalogue import Source
from pipelines.raw import RawArchive
from pipelines.sources import Delivery, SourceError, pull, settle

QUERY = "SELECT id, tanggal, pasar, harga, diperbarui FROM harga_harian WHERE harga IS NOT NULL"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'siharpa.sqlite'}"
    return request.getfixturevalue("postgres_url")


def _insert(url: str, rows: list[tuple]) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "CREATE TABLE IF NOT EXISTS harga_harian (id INTEGER PRIMARY KEY, tanggal DATE,"
            " pasar VARCHAR(80), harga NUMERIC(12, 3), diperbarui TIMESTAMP)"
        )
        connection.execute(
            sa.text("INSERT INTO harga_harian VALUES (:id, :tanggal, :pasar, :harga, :diperbarui)"),
            [dict(zip(["id", "tanggal", "pasar", "harga", "diperbarui"], r)) for r in rows],
        )
    engine.dispose()


def _taken(deliveries, archive: RawArchive) -> list[Delivery]:
    """Each delivery archived as it comes, as the raw step does, with the bytes the archive kept."""
    kept = [archive.store("ppu", "panggilan-112", d.name, d.data, d.origin) for d in deliveries]
    return [Delivery(f.name, Path(f.path).read_bytes(), f.source) for f in kept]


def _rows(deliveries) -> list[dict]:
    return [row for d in deliveries for row in csv.DictReader(io.StringIO(d.data.decode()))]


def _row(i: int, hour: int) -> tuple:
    return (i, datetime(2026, 10, 20 + i).date(), f"Pasar {i} – Waru", i + 0.234, datetime(2026, 10, 22, hour))


@pytest.mark.parametrize("cursor", ["id", "diperbarui"])
def test_incremental_reads_by_cursor(db_url, tmp_path, monkeypatch, cursor):
    monkeypatch.setenv("SIHARPA_DB", db_url)
    source = Source(
        "database", {"url_env": "SIHARPA_DB", "query": QUERY + ";", "cursor_column": cursor, "name": "harga"}
    )
    memo, archive = tmp_path / "memo", RawArchive(tmp_path / "raw")
    _insert(db_url, [_row(1, 8), _row(2, 9)])
    [first] = _taken(pull(source, memo), archive)
    assert first.name == "harga.csv" and "SIHARPA_DB" not in first.origin
    rows = _rows([first])
    assert [r["id"] for r in rows] == ["1", "2"] and rows[0]["pasar"] == "Pasar 1 – Waru"
    assert rows[0]["harga"] == "1.2340"  # 1.234 in a form the Indonesian number reader cannot misread
    # Not yet merged and published (a later step failed): the next pull brings the same rows again.
    assert [r["id"] for r in _rows(_taken(pull(source, memo), archive))] == ["1", "2"]
    settle(memo)  # now they are: the cursor moves
    assert list(pull(source, memo)) == []  # nothing new
    _insert(db_url, [_row(3, 10), _row(4, 11)])
    unfinished = pull(source, memo)
    next(unfinished)
    unfinished.close()  # archiving failed: the cursor must not move
    settle(memo)
    assert [r["id"] for r in _rows(_taken(pull(source, memo), archive))] == ["3", "4"]
    settle(memo)
    assert list(pull(source, memo)) == []


def test_full_read_without_cursor_and_password_not_in_origin(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SIHARPA_DB", postgres_url)
    _insert(postgres_url, [_row(1, 8)])
    source = Source("database", {"url_env": "SIHARPA_DB", "query": QUERY})
    archive = RawArchive(tmp_path / "raw")
    assert [len(_rows(_taken(pull(source, tmp_path / "memo"), archive))) for _ in range(2)] == [1, 1]
    password = sa.engine.make_url(postgres_url).password
    [delivery] = _taken(pull(source, tmp_path / "memo"), archive)
    assert delivery.name == "query.csv" and (not password or password not in delivery.origin)


def test_rows_come_from_a_server_side_cursor_and_the_cap_refuses_before_archiving(postgres_url, tmp_path, monkeypatch):
    monkeypatch.setenv("SIHARPA_DB", postgres_url)
    _insert(postgres_url, [_row(i, 8) for i in range(1, 9)])
    server_side = []

    def remember(connection, cursor, statement, parameters, context, executemany):
        server_side.append(context._is_server_side)

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", remember)
    try:
        source = Source("database", {"url_env": "SIHARPA_DB", "query": QUERY, "max_bytes": 200})
        archive = RawArchive(tmp_path / "raw")
        with pytest.raises(
            SourceError,
            match=r"melebihi batas 200 byte .* / delivery too large: over this "
            r"source's limit of 200 bytes",
        ) as refused:
            _taken(pull(source, tmp_path / "memo"), archive)
        assert refused.value.permanent  # the same rows would be refused again: no retry
        assert server_side == [True]  # PostgreSQL sent the rows in batches, not all at once
        assert not any(p.is_file() for p in (tmp_path / "raw").rglob("*"))  # nothing archived, not even in part
        # The same rows under the cap: the archived CSV holds all of them.
        source = Source("database", {"url_env": "SIHARPA_DB", "query": QUERY, "max_bytes": 100_000})
        assert len(_rows(_taken(pull(source, tmp_path / "memo"), archive))) == 8
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", remember)


def test_bad_query_and_missing_url_are_source_errors(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'kosong.sqlite'}"
    monkeypatch.setenv("SIHARPA_DB", url)
    with pytest.raises(SourceError, match="kueri basis data gagal"):
        list(pull(Source("database", {"url_env": "SIHARPA_DB", "query": "SELECT * FROM tidak_ada"}), tmp_path))
    with pytest.raises(SourceError, match="TIDAK_DISET"):
        list(pull(Source("database", {"url_env": "TIDAK_DISET", "query": "SELECT 1"}), tmp_path))
