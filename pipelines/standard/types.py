"""The field types a standard may use, and what each is wherever a value goes: the one registry the parser's
findings, the checks, the warehouse, the portal and the metadata statistik read. A new type is one entry here
(and its conversion in parsing/values.py, `convert_distinct`, which dispatches on the type's name)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldType:
    sql: str  # the warehouse column, as SQLAlchemy names its type (sqlalchemy.<sql>)
    sql_cast: str  # the same in SQL text, for casts of staged rows
    datastore: str  # the CKAN DataStore column type
    dtype: str  # the pandas dtype the parser makes, as GX's type check names it
    data_type: str  # BPS's "Tipe Data" of the metadata statistik (MS-Var)
    word_id: str = ""  # what a cell of this type must hold, for a clerk (Bahasa Indonesia, English, example)
    word_en: str = ""
    example: str = ""


FIELD_TYPES = {
    "string": FieldType("Text", "TEXT", "text", "str", "Karakter"),
    "integer": FieldType(
        "BigInteger", "BIGINT", "int8", "int64", "Numerik", "bilangan bulat", "a whole number", "15500 / 15.500"
    ),
    "number": FieldType(
        "Float", "DOUBLE PRECISION", "numeric", "float64", "Numerik", "angka", "a number", "12,5 / 1.234,5"
    ),
    "date": FieldType(
        "Date", "DATE", "date", "datetime64", "Tanggal", "tanggal", "a date", "22/10/2026 / 22 Oktober 2026"
    ),
    "datetime": FieldType(
        "DateTime",
        "TIMESTAMP",
        "timestamp",
        "datetime64",
        "Tanggal dan waktu",
        "tanggal dan waktu",
        "a date and time",
        "22/10/2026 08.30",
    ),
    "boolean": FieldType("Boolean", "BOOLEAN", "bool", "bool", "Boolean", "ya/tidak", "yes/no", "Ya / Tidak"),
}
NUMERIC_TYPES = {"integer", "number"}
