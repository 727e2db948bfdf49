"""The personal-data guard (UU PDP 27/2022, UU KIP 14/2008): text that looks like a NIK or KK number, an
Indonesian phone number or an e-mail address must not sit in a column the standard does not mark as
personal. Findings are Issues, so a batch that carries them is quarantined like any other failure.

A batch is scanned in bounded memory: DuckDB picks the candidate values (a loose pattern, over the DataFrame
or the staged Parquet file) and only those go through the exact checks in Python."""

import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import phonenumbers

from pipelines import settings
from pipelines.issues import Issue
from pipelines.standard import Standard

RULE = "data pribadi"
# 16 digits not part of a longer number: NIK and KK share this shape (PP KK CC DDMMYY SSSS).
SIXTEEN_DIGITS = r"(?<!\d)(\d{16})(?!\d)"
PHONE_CANDIDATE = r"((?:\+62|62|0)[\s.-]?8[\d\s.-]{7,14}\d)"
EMAIL = r"([\w.+-]+@[\w-]+\.[\w.-]+)"
# Looser than the three patterns together (RE2 has no look-behind, and its \d \w \s are ASCII only, so any
# non-ASCII character makes a value a candidate too): a value it misses cannot match them.
CANDIDATE = r"[0-9]{16}|8[0-9 \t\n\r\f\v.-]{7,14}[0-9]|@|[^\x00-\x7f]"
CANDIDATE_ROWS = 100_000  # candidate values checked at a time
FINDINGS = {
    "nik": ("kemungkinan NIK/No. KK (data pribadi)", "looks like a NIK / family-card number (personal data)"),
    "phone": ("nomor telepon (data pribadi)", "phone number (personal data)"),
    "email": ("alamat e-mail (data pribadi)", "e-mail address (personal data)"),
}


def _is_population_number(digits: str, district_codes: set[str]) -> bool:
    """NIK/KK: the first six digits are a real district (kecamatan) code, the next six a date
    (for women the day is raised by 40)."""
    day, month = int(digits[6:8]), int(digits[8:10])
    return digits[:6] in district_codes and 1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 71)


def _is_phone(text: str) -> bool:
    try:
        return phonenumbers.is_valid_number(phonenumbers.parse(re.sub(r"[\s.-]", "", text), "ID"))
    except phonenumbers.NumberParseException:
        return False


def _matches(values: pd.Series, pattern: str) -> pd.DataFrame:
    found = values.str.extractall(pattern)
    return found.reset_index(level="match", drop=True).rename(columns={0: "value"})


def _candidates(rows: pd.DataFrame | Path, column: str) -> Iterator[pd.DataFrame]:
    """The rows (file, row, value) whose value might be personal, in file order, a slice at a time."""
    connection = duckdb.connect(config=settings.duckdb_config())
    try:
        if isinstance(rows, pd.DataFrame):
            connection.register("batch", rows)
        else:
            connection.register("batch", connection.read_parquet(str(rows)))
        if column not in connection.sql("SELECT * FROM batch LIMIT 0").columns:
            return
        quoted = '"' + column.replace('"', '""') + '"'
        found = connection.sql(f"SELECT _source_file, _source_row, CAST({quoted} AS VARCHAR) AS value FROM batch "
                               f"WHERE regexp_matches(CAST({quoted} AS VARCHAR), $pattern)",
                               params={"pattern": CANDIDATE})
        for piece in found.to_arrow_reader(CANDIDATE_ROWS):
            yield piece.to_pandas()
    finally:
        connection.close()


def scan(rows: pd.DataFrame | Path, standard: Standard, district_codes: set[str]) -> list[Issue]:
    """Every personal-looking value in a text column that is not marked personal, in a DataFrame or a
    staged Parquet file. `district_codes` are the six-digit Kemendagri district codes without dots."""
    issues = []
    checks = (("nik", SIXTEEN_DIGITS, lambda v: _is_population_number(v, district_codes)),
              ("phone", PHONE_CANDIDATE, _is_phone), ("email", EMAIL, lambda v: True))
    for field in standard.fields:
        if field.type != "string" or field.personal:
            continue
        for candidates in _candidates(rows, field.name):
            values = candidates["value"].astype("str")
            for kind, pattern, confirm in checks:
                for index, value in _matches(values, pattern)["value"].items():
                    if confirm(value):
                        pesan, message = FINDINGS[kind]
                        issues.append(Issue(str(candidates.at[index, "_source_file"]),
                                            int(candidates.at[index, "_source_row"]),
                                            field.name, value[:4] + "…", RULE, pesan, message))
    return issues


def district_codes(regions: pd.DataFrame) -> set[str]:
    return set(regions.loc[regions["level"] == "kecamatan", "code"].str.replace(".", "", regex=False))
