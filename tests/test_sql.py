"""The one way SQL text is written (pipelines/sql.py): a name or value with quotes in it stays a name or a
value, on the engine itself."""

from datetime import datetime

import duckdb

from pipelines.sql import ident, literal


def test_names_and_values_with_quotes_are_read_as_written():
    name, value = 'harga "eceran"', "Pasar Sepaku'; DROP TABLE t; --"
    with duckdb.connect() as connection:
        connection.execute(f"CREATE TABLE t ({ident(name)} TEXT)")
        connection.execute(f"INSERT INTO t VALUES ({literal(value)})")
        assert connection.execute(f"SELECT {ident(name)} FROM t").fetchall() == [(value,)]
        assert connection.execute("SELECT count(*) FROM t").fetchone() == (1,)


def test_a_timestamp_literal_is_a_timestamp():
    with duckdb.connect() as connection:
        moment = datetime(2026, 12, 1, 7, 30, 5, 123456)
        assert connection.execute(f"SELECT {literal(moment)}").fetchone() == (moment,)
