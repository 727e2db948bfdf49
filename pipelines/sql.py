"""SQL text that DuckDB and PostgreSQL both read, written one way everywhere: identifiers double-quoted with
any quote inside doubled, and the few literals a statement cannot take as a bound parameter (a CREATE TABLE
AS on PostgreSQL takes none). Values go as bound parameters wherever a statement takes them."""

from datetime import datetime


def ident(name: str) -> str:
    """`kode_pasar` -> `"kode_pasar"`: a column or table name from a standard, never read as SQL."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str | datetime) -> str:
    """A text or timestamp literal, for statements that take no bound parameters."""
    if isinstance(value, datetime):
        return f"TIMESTAMP '{value.isoformat(sep=' ')}'"
    return "'" + value.replace("'", "''") + "'"
