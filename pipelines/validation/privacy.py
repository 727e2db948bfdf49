"""The personal-data guard (UU PDP 27/2022, UU KIP 14/2008): text that looks like a NIK or KK number, an
Indonesian phone number or an e-mail address must not sit in a column the standard does not mark as
personal. Findings are Issues, so a batch that carries them is quarantined like any other failure.

Every column of the delivery is scanned, kept or not: parsing puts the candidate values of the columns the
standard does not keep beside the staged file (`dropped_path`), and a finding there names the column and
the first row, with how many values, never the values themselves.

A batch is scanned in bounded memory: DuckDB picks the candidate values (a loose pattern, over the DataFrame
or the staged Parquet file) and only those go through the exact checks in Python."""

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq

from pipelines.findings import finding
from pipelines.issues import Issue
from pipelines.sql import ident
from pipelines.standard import Standard
from pipelines.validation.rows import check_connection

# 16 digits not part of a longer number: NIK and KK share this shape (PP KK CC DDMMYY SSSS).
SIXTEEN_DIGITS = r"(?<!\d)(\d{16})(?!\d)"
# A phone number starts and ends its run of digits: `08...` inside a longer code (a disaster id such as
# `6208 101 2020 09 7 1`) is none.
PHONE_CANDIDATE = r"(?<![\d+])((?:\+62|62|0)[\s.-]?8[\d\s.-]{7,14}\d)(?!\d)"
EMAIL = r"([\w.+-]+@[\w-]+\.[\w.-]+)"
# Looser than the three patterns together (RE2 has no look-behind, and its \d \w \s are ASCII only, so any
# non-ASCII character makes a value a candidate too): a value it misses cannot match them.
CANDIDATE = r"[0-9]{16}|8[0-9 \t\n\r\f\v.-]{7,14}[0-9]|@|[^\x00-\x7f]"
CANDIDATE_ROWS = 100_000  # candidate values checked at a time
FINDINGS = {  # what was found, for the messages of findings.ERRORS["personal-data..."]
    "nik": ("kemungkinan NIK/No. KK", "possible NIK / family-card number"),
    "phone": ("nomor telepon", "phone number"),
    "email": ("alamat e-mail", "e-mail address"),
}


def dropped_path(staged: Path) -> Path:
    """Beside a staged batch: the candidate values of the columns the standard does not keep."""
    return staged.with_name(staged.name.removesuffix(".parquet") + ".dropped.parquet")


def _is_population_number(digits: str, district_codes: set[str]) -> bool:
    """NIK/KK: the first six digits are a real district (kecamatan) code, the next six a date
    (for women the day is raised by 40)."""
    day, month = int(digits[6:8]), int(digits[8:10])
    return digits[:6] in district_codes and 1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 71)


def _is_phone(text: str) -> bool:
    import phonenumbers  # ~0.1 s to import: paid only by a batch with a phone-shaped value, not by every check

    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(re.sub(r"[\s.-]", "", text), "ID"))
    except phonenumbers.NumberParseException:
        return False


def _matches(values: pd.Series, pattern: str) -> pd.DataFrame:
    found = values.str.extractall(pattern)
    return found.reset_index(level="match", drop=True).rename(columns={0: "value"})


def _candidates(connection: duckdb.DuckDBPyConnection, column: str) -> Iterator[pd.DataFrame]:
    """The rows (file, row, value) of `batch` whose value might be personal, in file order, a slice at a time."""
    quoted = ident(column)
    found = connection.sql(
        f"SELECT _source_file, _source_row, CAST({quoted} AS VARCHAR) AS value FROM batch "
        f"WHERE regexp_matches(CAST({quoted} AS VARCHAR), $pattern)",
        params={"pattern": CANDIDATE},
    )
    for piece in found.to_arrow_reader(CANDIDATE_ROWS):
        yield piece.to_pandas()


def _checks(district_codes: set[str]) -> tuple:
    return (
        ("nik", SIXTEEN_DIGITS, lambda v: _is_population_number(v, district_codes)),
        ("phone", PHONE_CANDIDATE, _is_phone),
        ("email", EMAIL, lambda v: True),
    )


def _found(values: pd.Series, checks: tuple) -> Iterator[tuple[str, object, str]]:
    """(kind, index, value) of every personal value among candidate values."""
    for kind, pattern, confirm in checks:
        for index, value in _matches(values, pattern)["value"].items():
            if confirm(value):
                yield kind, index, value


def scan(rows: pd.DataFrame | Path, standard: Standard, district_codes: set[str]) -> list[Issue]:
    """Every personal-looking value in a text column that is not marked personal, in a DataFrame or a
    staged Parquet file, and in the columns of the delivery the standard does not keep (beside a staged
    file). `district_codes` are the six-digit Kemendagri district codes without dots."""
    issues = []
    checks = _checks(district_codes)
    connection = check_connection()  # one for every column
    try:
        connection.register("batch", rows if isinstance(rows, pd.DataFrame) else connection.read_parquet(str(rows)))
        present = set(connection.sql("SELECT * FROM batch LIMIT 0").columns)
        for field in standard.fields:
            if field.type != "string" or field.personal or field.name not in present:
                continue
            for candidates in _candidates(connection, field.name):
                for kind, index, value in _found(candidates["value"].astype("str"), checks):
                    issues.append(
                        finding(
                            "personal-data",
                            str(candidates.at[index, "_source_file"]),
                            int(candidates.at[index, "_source_row"]),
                            field.name,
                            value[:4] + "…",
                            what_id=FINDINGS[kind][0],
                            what_en=FINDINGS[kind][1],
                        )
                    )
    finally:
        connection.close()
    if isinstance(rows, Path) and dropped_path(rows).exists():
        issues += _in_dropped_columns(dropped_path(rows), checks)
    return issues


def _in_dropped_columns(path: Path, checks: tuple) -> list[Issue]:
    """One finding per file, column and kind: where it starts and how many, without the values."""
    first: dict[tuple[str, str, str], int] = {}
    count: dict[tuple[str, str, str], int] = {}
    for piece in pq.ParquetFile(path).iter_batches(batch_size=CANDIDATE_ROWS):
        candidates = piece.to_pandas()
        for kind, index, _ in _found(candidates["value"].astype("str"), checks):
            key = (str(candidates.at[index, "_source_file"]), str(candidates.at[index, "column"]), kind)
            first.setdefault(key, int(candidates.at[index, "_source_row"]))
            count[key] = count.get(key, 0) + 1
    return [
        finding(
            "personal-data-dropped-column",
            file,
            first[(file, column, kind)],
            column,
            None,
            count=str(count[(file, column, kind)]),
            what_id=FINDINGS[kind][0],
            what_en=FINDINGS[kind][1],
        )
        for file, column, kind in first
    ]


def district_codes(regions: pd.DataFrame) -> set[str]:
    return set(regions.loc[regions["level"] == "kecamatan", "code"].str.replace(".", "", regex=False))
