"""The rule language: the standard's rules written as Great Expectations 1.x expectations (each its GX type,
its arguments and meta naming the standard's rule), with the words a clerk reads for each and its finding
code. Evaluated by `duckdb_query.py` (the default) or by GX itself (`gx.py`), with the same outcome."""

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from pipelines.standard import Standard
from pipelines.standard.period import Period, period_of
from pipelines.standard.types import FIELD_TYPES

# rule id -> (Bahasa Indonesia, English)
MESSAGES = {
    "expect_column_values_to_not_be_null": ("nilai wajib diisi tetapi kosong", "required value is missing"),
    "expect_column_values_to_be_in_set": (
        "nilai tidak ada dalam daftar kode yang berlaku",
        "value is not in the standard's code list",
    ),
    "expect_column_values_to_match_regex": ("format nilai tidak sesuai standar", "value does not match the format"),
    "expect_column_values_to_be_between": (
        "nilai di luar rentang yang diizinkan",
        "value is outside the allowed range",
    ),
    "expect_compound_columns_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_unique": ("kunci baris ganda (data dobel)", "duplicate row key"),
    "expect_column_values_to_be_of_type": (
        "tipe data kolom tidak sesuai standar",
        "column type does not match the standard",
    ),
    "expect_column_pair_values_to_be_in_set": (
        "pasangan nilai tidak ada dalam Data Induk",
        "value pair is not in the master data",
    ),
}
# The finding's code (README: "Self-check findings: the codes"), by the rule's own name (meta "rule") or else its
# expectation type.
RULE_CODES = {
    "expect_column_values_to_not_be_null": "required-value-missing",
    "expect_column_values_to_be_in_set": "not-in-code-list",
    "expect_column_values_to_match_regex": "format-mismatch",
    "expect_column_values_to_be_between": "outside-range",
    "expect_compound_columns_to_be_unique": "duplicate-key",
    "expect_column_values_to_be_unique": "duplicate-key",
    "expect_column_values_to_be_of_type": "column-type",
    "expect_column_pair_values_to_be_in_set": "master-data-mismatch",
    "no_future": "future-date",
    "reported_period": "outside-reported-period",
    "catalogue_period": "outside-reported-period",
    "sum_of": "total-mismatch",
    "master_data": "not-in-master-data",
    "master_data_pair": "master-data-mismatch",
}
# Rules that GX expresses with a general expectation (meta "rule"): their own messages.
RULE_MESSAGES = {
    "no_future": ("tanggal berada di masa depan", "date lies in the future"),
    "reported_period": (
        "tanggal di luar periode laporan {period} (menurut nama berkas)",
        "date lies outside the reported period {period} (stated by the file name)",
    ),
    "catalogue_period": (
        "tanggal di luar periode laporan {period} (menurut katalog)",
        "date lies outside the reported period {period} (set in the catalogue)",
    ),
    "sum_of": ("jumlah tidak sama dengan {parts}", "total does not equal {parts}"),
    "master_data": ("kode tidak ada dalam Data Induk {resource}", "code is not in the master data {resource}"),
    "master_data_pair": (
        "{fields} tidak sesuai Data Induk {resource}",
        "{fields} do not match the master data {resource}",
    ),
}


def file_condition(name: str) -> str:
    """GX pandas row condition: the rows of one delivered file (a Python literal, as pandas' query reads it)."""
    return f"_source_file == {name!r}"


def sum_condition(total: str, parts: tuple[str, ...]) -> str:
    """GX pandas row condition: the rows whose total differs from the sum of its parts (a missing value
    matches nothing, as in SQL)."""
    return f"`{total}` != " + " + ".join(f"`{p}`" for p in parts)


@dataclass(frozen=True)
class Rule:
    """One expectation of the suite in GX's own terms: its type (`expect_column_values_to_be_in_set`), the
    arguments its GX class takes, and meta (which rule of the standard it is, for the messages)."""

    type: str
    kwargs: dict
    meta: dict = field(default_factory=dict)


def _master_rules(standard: Standard, references: dict[str, pd.DataFrame]) -> list[Rule]:
    """Foreign keys: the first field must be a code of the master list, and the key's fields together a row
    of it (a market's district must be the one the list gives)."""
    found = []
    for key in standard.foreign_keys:
        if key.resource not in references:
            raise ValueError(
                f"{standard.ref}: no master list {key.resource!r} given for the foreign key {list(key.fields)}"
            )
        table = references[key.resource]
        meta = {"rule": "master_data", "resource": key.resource}
        found.append(
            Rule(
                "expect_column_values_to_be_in_set",
                {"column": key.fields[0], "value_set": sorted(table[key.reference_fields[0]].astype(str).unique())},
                meta,
            )
        )
        if len(key.fields) == 2:
            pairs = sorted({(str(a), str(b)) for a, b in table[list(key.reference_fields)].itertuples(index=False)})
            found.append(
                Rule(
                    "expect_column_pair_values_to_be_in_set",
                    {"column_A": key.fields[0], "column_B": key.fields[1], "value_pairs_set": pairs},
                    meta | {"rule": "master_data_pair"},
                )
            )
    return found


def rules(
    standard: Standard,
    code_lists: dict[str, list[str]],
    today: date | None = None,
    *,
    periods: dict[str, tuple[Period, str]] | None = None,
    references: dict[str, pd.DataFrame] | None = None,
) -> list[Rule]:
    """The expectations of a standard. `code_lists` resolves each field's code list to the codes allowed here
    (e.g. the districts of the regency being checked); `periods` gives each delivered file its reported
    period and where it comes from (`reported_period`: the file name, `catalogue_period`); `references` the
    master lists the standard's foreign keys name."""
    today = today or date.today()
    found = []
    for f in standard.fields:
        column = {"column": f.name}
        found.append(Rule("expect_column_values_to_be_of_type", column | {"type_": FIELD_TYPES[f.type].dtype}))
        if f.required:
            found.append(Rule("expect_column_values_to_not_be_null", column))
        if f.enum:
            found.append(Rule("expect_column_values_to_be_in_set", column | {"value_set": list(f.enum)}))
        if f.code_list:
            found.append(
                Rule(
                    "expect_column_values_to_be_in_set",
                    column | {"value_set": code_lists[f.code_list]},
                    {"code_list": f.code_list},
                )
            )
        if f.pattern:
            found.append(Rule("expect_column_values_to_match_regex", column | {"regex": f.pattern}))
        if f.minimum is not None or f.maximum is not None:
            found.append(
                Rule("expect_column_values_to_be_between", column | {"min_value": f.minimum, "max_value": f.maximum})
            )
        if f.type in ("date", "datetime"):  # nothing reported can lie in the future
            found.append(
                Rule(
                    "expect_column_values_to_be_between",
                    column | {"max_value": pd.Timestamp(today) + pd.Timedelta(days=1), "strict_max": True},
                    {"rule": "no_future"},
                )
            )
        if f.sum_of:  # the rows whose total differs from the sum are selected; none may exist
            found.append(
                Rule(
                    "expect_column_values_to_be_null",
                    column | {"row_condition": sum_condition(f.name, f.sum_of), "condition_parser": "pandas"},
                    {"rule": "sum_of", "parts": list(f.sum_of)},
                )
            )
    for name, (period, rule) in sorted((periods or {}).items()):
        found.append(
            Rule(
                "expect_column_values_to_be_between",
                {
                    "column": standard.period_field,
                    "min_value": pd.Timestamp(period.start),
                    "max_value": pd.Timestamp(period.end) + pd.Timedelta(days=1),
                    "strict_max": True,
                    "row_condition": file_condition(name),
                    "condition_parser": "pandas",
                },
                {"rule": rule, "source_file": name, "period": period.label},
            )
        )
    found += _master_rules(standard, references or {})
    key = list(standard.primary_key)
    if len(key) > 1:
        found.append(Rule("expect_compound_columns_to_be_unique", {"column_list": key}))
    elif key:
        found.append(Rule("expect_column_values_to_be_unique", {"column": key[0]}))
    return found


def file_periods(files, standard: Standard, fallback: Period | None = None) -> dict[str, tuple[Period, str]]:
    """Each file's reported period and its origin: what its name states, else the catalogue's `fallback`;
    files with neither are not period-checked."""
    if standard.period_field is None:
        return {}
    found = {}
    for name in files:
        stated = period_of(str(name))
        if stated or fallback:
            found[str(name)] = (stated, "reported_period") if stated else (fallback, "catalogue_period")
    return found
