"""Validation speed on a generated 1,000,000-row SIHARPA market-price table (issue 4, "Speed").

The rows come from one file whose name states its year (the reported-period rule) and name markets of a
master list (the Data Induk foreign key). Three ways, same table, same run, printed as seconds per 1,000,000 rows:
- ours:      `pipelines.validation.validate` (the standard's GX expectations from `rules`, evaluated as one DuckDB
             query);
- plain GX:  the same suite run by Great Expectations on pandas (`engine="gx"`);
- DuckDB SQL: a hand-written DuckDB query doing the same checks (counts only, no issue rows): the anchor,
  what the engine costs without our translation and reporting.

    .venv/bin/python bench/validation_bench.py [--rows 1000000] [--repeat 3] [--skip-gx]
"""

import argparse
import sys
import time
from datetime import date
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.data import CODE_LISTS, broken, market_prices, standard
from bench.data import references as data_references  # noqa: E402
from pipelines.validation import validate  # noqa: E402

TODAY = date(2026, 11, 1)
SOURCE_FILE = "harga_pasar_2025.csv"  # the name states the reported period: the year 2025
PERIOD = ("2025-01-01", "2026-01-01")


def plain_sql(frame, std, markets) -> dict[str, int]:
    """The same checks written by hand as one DuckDB query: failing-row counts per check."""
    checks = [
        ("tanggal in period", f"count(*) FILTER (WHERE tanggal < DATE '{PERIOD[0]}' OR tanggal >= DATE '{PERIOD[1]}')"),
        ("kode_pasar in master list", "count(*) FILTER (WHERE kode_pasar NOT IN (SELECT kode_pasar FROM m))"),
        (
            "market district as listed",
            "count(*) FILTER (WHERE (kode_pasar, kode_kecamatan) NOT IN (SELECT (kode_pasar, kode_kecamatan) FROM m))",
        ),
    ]
    for f in std.fields:
        col = f'"{f.name}"'
        if f.required:
            checks.append((f"{f.name} not null", f"count(*) FILTER (WHERE {col} IS NULL)"))
        values = list(f.enum or []) + list(CODE_LISTS.get(f.code_list, []))
        if values:
            listed = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
            checks.append((f"{f.name} in set", f"count(*) FILTER (WHERE {col} NOT IN ({listed}))"))
        if f.pattern:
            checks.append((f"{f.name} regex", f"count(*) FILTER (WHERE NOT regexp_matches({col}, '{f.pattern}'))"))
        if f.minimum is not None or f.maximum is not None:
            checks.append(
                (f"{f.name} between", f"count(*) FILTER (WHERE {col} NOT BETWEEN {f.minimum} AND {f.maximum})")
            )
        if f.type == "date":
            checks.append((f"{f.name} not future", f"count(*) FILTER (WHERE {col} >= DATE '{TODAY}' + 1)"))
    key = ", ".join(f'"{k}"' for k in std.primary_key)
    connection = duckdb.connect()
    connection.register("batch", frame)
    connection.register("m", markets)
    row = connection.execute(
        f"SELECT {', '.join(sql for _, sql in checks)}, "
        f"(SELECT coalesce(sum(n), 0) FROM (SELECT count(*) AS n FROM batch GROUP BY {key} HAVING count(*) > 1)) "
        f"FROM batch"
    ).fetchone()
    connection.close()
    return dict(zip([name for name, _ in checks] + ["key unique"], map(int, row)))


def timed(run, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = run()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of N for the fast ways (GX runs once)")
    parser.add_argument("--skip-gx", action="store_true", help="leave out plain GX (the slow one)")
    args = parser.parse_args()
    std = standard()
    valid = market_prices(args.rows).assign(_source_file=SOURCE_FILE).astype({"_source_file": "str"})
    bad = broken(valid)
    references = data_references()
    per_million = 1_000_000 / args.rows
    print(
        f"validation of {args.rows:,} rows x {len(std.fields)} fields (standard {std.ref}); "
        f"seconds per 1,000,000 rows, best of {args.repeat}"
    )

    rows = []
    for label, frame in (("valid", valid), ("broken", bad)):
        seconds, outcome = timed(
            lambda f=frame: validate(f, std, CODE_LISTS, today=TODAY, references=references), args.repeat
        )
        failing = sum(r["unexpected_count"] for r in outcome.rules)
        rows.append(
            (
                f"ours (GX suite as one DuckDB query), {label}",
                seconds,
                f"{len(outcome.rules)} rules, {failing} failing cells, {len(outcome.issues)} issues",
            )
        )
        seconds, counts = timed(lambda f=frame: plain_sql(f, std, references["data-induk-pasar"]), args.repeat)
        rows.append(
            (
                f"plain DuckDB SQL (counts only), {label}",
                seconds,
                f"{len(counts)} checks, {sum(counts.values())} failing cells",
            )
        )
    if not args.skip_gx:
        seconds, outcome = timed(
            lambda: validate(valid, std, CODE_LISTS, today=TODAY, engine="gx", references=references), 1
        )
        rows.append(("plain GX on pandas, valid", seconds, f"{len(outcome.rules)} rules, success={outcome.success}"))
    width = max(len(r[0]) for r in rows)
    for label, seconds, note in rows:
        print(f"  {label:<{width}}  {seconds * per_million:7.2f} s   ({note})")
    if not args.skip_gx:
        ours = next(s for label, s, _ in rows if label.startswith("ours") and label.endswith("valid"))
        gx_time = rows[-1][1]
        print(f"  ours is {gx_time / ours:.1f}x faster than plain GX on the valid table")


if __name__ == "__main__":
    main()
