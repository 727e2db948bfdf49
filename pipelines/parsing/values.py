"""Numbers and dates as Indonesian offices write them (the rules are in each function), each distinct text
of a column converted once."""

import re

import numpy as np
import pandas as pd

from pipelines.standard.indonesian import LEADING_DAY, MONTH_WORDS

DOTTED_THOUSANDS = re.compile(r"-?\d{1,3}(\.\d{3})+")

# type -> (Bahasa Indonesia, English, how to write it) for the messages of type findings
_MULTIPLIERS = {"rb": 1e3, "ribu": 1e3, "jt": 1e6, "juta": 1e6}

# Whole numbers are read through float64, exact below 2**53; no count or price comes near, so from there a
# typed figure is out of range rather than silently rounded.
_EXACT_INTEGERS = 2.0**53


def _read_numbers(values: pd.Series, integer: bool, money: bool) -> tuple[pd.Series, pd.Series]:
    """(numbers, finding code or "" per value). The rule, as Indonesian offices write numbers: a dot groups
    thousands and a comma marks decimals (`1.234.567`, `1.234,56`); `Rp`, `,-` and spaces are dropped.
    English notation is read only where it cannot be Indonesian: both marks with the dot last (`1,234.56`),
    or commas grouping thousands more than once (`1,234,567`). A lone dot not followed by exactly three
    digits is a decimal point (`12.5`, as JSON and Excel values come). A lone comma followed by three digits
    in a whole-number column (`15,500`) could be either, and is named as ambiguous, never guessed. Money
    columns (unit Rupiah) also take `rb`/`ribu` and `jt`/`juta`."""
    text = values.str.strip().str.replace(r"(?i)^(?:rp\.?|idr)\s*", "", regex=True)
    text = text.str.replace(r"[,.]-$", "", regex=True).str.replace(r"\s", "", regex=True)
    scale = pd.Series(1.0, index=values.index)
    if money:
        suffix = text.str.extract(r"(?i)(rb|ribu|jt|juta)$")[0].str.lower()
        scale = suffix.map(_MULTIPLIERS).astype("float64").fillna(1.0)
        text = text.str.replace(r"(?i)(rb|ribu|jt|juta)$", "", regex=True)
    dotted = text.str.fullmatch(r"-?[1-9]\d{0,2}(\.\d{3})+")  # 1.234.567
    indonesian = dotted | text.str.fullmatch(r"-?\d{1,3}(\.\d{3})+,\d+")  # 1.234,56
    english = text.str.fullmatch(r"-?\d{1,3}(,\d{3})+\.\d+") | text.str.fullmatch(r"-?[1-9]\d{0,2}(,\d{3}){2,}")
    ambiguous = text.str.fullmatch(r"-?[1-9]\d{0,2},\d{3}") & integer  # 15,500
    lone_comma = text.str.fullmatch(r"-?\d+,\d+") & ~ambiguous  # 12,5
    plain = text.str.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?") & ~dotted  # 12.5, 15500, 1e3
    normal = pd.Series(np.nan, index=values.index, dtype="object")
    normal = normal.mask(plain, text)
    normal = normal.mask(indonesian, text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    normal = normal.mask(english, text.str.replace(",", "", regex=False))
    normal = normal.mask(lone_comma, text.str.replace(",", ".", regex=False))
    numbers = (pd.to_numeric(normal, errors="coerce").astype("float64") * scale).round(6)
    problem = pd.Series("", index=values.index, dtype="object")
    problem[numbers.isna()] = "type-error"
    huge = (~np.isfinite(numbers) & numbers.notna()) | ((numbers.abs() >= _EXACT_INTEGERS) & integer)
    problem[huge] = "out-of-range"
    if integer:
        problem[numbers.notna() & ~huge & (numbers % 1 != 0)] = "type-error"
    problem[ambiguous] = "ambiguous-number"
    if integer:
        return numbers.where(problem == "").astype("Int64"), problem
    return numbers.where(problem == "").astype("Float64"), problem


def parse_numbers(values: pd.Series, integer: bool, money: bool = False) -> pd.Series:
    """Numbers as Indonesian offices write them (see `_read_numbers` for the rule); NA where unreadable."""
    return _read_numbers(values, integer, money)[0]


def parse_dates(values: pd.Series) -> pd.Series:
    """Day-first dates: `22/09/2022`, `22-9-2022`, `22 September 2022`, `Senin, 22 Sept. 2022`,
    `20 Agustus 2021 07:15`, `22-Okt-2022`, ISO `2022-09-22 13:00`, and Excel serial day numbers; a time of
    day after the date is kept. Month spellings: pipelines/standard/indonesian.py."""
    text = values.str.strip().str.lower().str.replace(LEADING_DAY, "", regex=True)
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    parts = text.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})(?=$|[\st])")  # `20266` is no year
    day_first = pd.to_datetime(
        {
            "year": pd.to_numeric(parts[2], errors="coerce"),
            "month": pd.to_numeric(parts[1], errors="coerce"),
            "day": pd.to_numeric(parts[0], errors="coerce"),
        },
        errors="coerce",
    )
    result = result.fillna(day_first)
    named = text.str.extract(r"^(\d{1,2})[\s.-]*([a-z]+)\.?[\s.-]*(\d{4})\b")
    month = named[1].map(MONTH_WORDS)
    worded = pd.to_datetime(
        {
            "year": pd.to_numeric(named[2], errors="coerce"),
            "month": month,
            "day": pd.to_numeric(named[0], errors="coerce"),
        },
        errors="coerce",
    )
    result = result.fillna(worded)
    iso = pd.to_datetime(text.str.extract(r"^(\d{4}-\d{2}-\d{2})(?=$|[\st])")[0], format="%Y-%m-%d", errors="coerce")
    result = result.fillna(iso)
    clock = text.str.extract(r"[\st](\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?\s*$").apply(pd.to_numeric)
    seconds = (clock[0] * 3600 + clock[1] * 60 + clock[2].fillna(0)).where(clock[0].le(23) & clock[1].le(59))
    result = result + pd.to_timedelta(seconds.fillna(0), unit="s")
    serial = pd.to_numeric(text.where(text.str.fullmatch(r"\d{5}(\.\d+)?")), errors="coerce")
    excel = pd.to_datetime(serial, unit="D", origin="1899-12-30", errors="coerce").dt.round("s")
    return result.fillna(excel).astype("datetime64[us]")


def _is_money(fld) -> bool:
    """A field the standard measures in Rupiah: the only one where `rb` and `jt` may stand for thousands."""
    return str(fld.metadata.get("satuan", "")).lower() == "rupiah"


def convert_distinct(values: pd.Series, fld) -> tuple[pd.Series, pd.Series]:
    if fld.type in ("integer", "number"):
        return _read_numbers(values, fld.type == "integer", _is_money(fld))
    if fld.type in ("date", "datetime"):
        typed = parse_dates(values)
        typed = typed.dt.normalize() if fld.type == "date" else typed
    elif fld.type == "boolean":
        lowered = values.str.strip().str.lower()
        typed = lowered.map({"ya": True, "true": True, "1": True, "tidak": False, "false": False, "0": False}).astype(
            "boolean"
        )
    else:
        return values.str.strip().astype("str"), pd.Series("", index=values.index, dtype="object")
    return typed, pd.Series(np.where(typed.isna(), "type-error", ""), index=values.index, dtype="object")
