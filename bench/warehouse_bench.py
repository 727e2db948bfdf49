"""Warehouse load speed (issue 5) for a generated 1,000,000-row SIHARPA fact batch, on DuckDB and PostgreSQL:

- `warehouse.merge` into an empty table (rows/s), then the same batch again (a no-change re-run: seconds),
  then the whole batch re-sent with 10,000 prices changed, then a batch of just 10,000 corrected prices;
- the anchor: the same engine's raw bulk load of the same rows, typed, into a table with the same DDL and key
  (DuckDB `read_csv`, PostgreSQL `COPY ... FROM STDIN`) from a CSV written beforehand (writing it is not timed);
- `pandas.DataFrame.to_sql` (default inserts) of the first --to-sql-rows rows (default 100,000: the full
  million takes minutes), reported as rows/s.

    .venv/bin/python bench/warehouse_bench.py [--rows 1000000] [--to-sql-rows 100000] [--engines duckdb,postgresql]

DuckDB writes to a fresh file in --workdir; PostgreSQL uses the database `bench_wh` on the project's cluster
(`bash scripts/postgres.sh url bench_wh`, which starts the cluster if it is not running), created empty for
the run and dropped afterwards. The merge measured is whatever `pipelines/warehouse/merging.py` does today.
"""

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.data import market_prices, standard  # noqa: E402
from pipelines import warehouse  # noqa: E402

REGENCY = "64.09"
DUCK_TYPES = {
    sa.Text: "VARCHAR",
    sa.BigInteger: "BIGINT",
    sa.Float: "DOUBLE",
    sa.Date: "DATE",
    sa.DateTime: "TIMESTAMP",
    sa.Boolean: "BOOLEAN",
}


def timed(run) -> tuple[float, object]:
    start = time.perf_counter()
    result = run()
    return time.perf_counter() - start, result


def table_csv(frame, path: Path, columns: list[str]) -> None:
    """The batch as the warehouse stores it (regency and lineage added), typed values as ISO text."""
    full = frame.assign(
        **{
            warehouse.REGION_KEY: REGENCY,
            "_batch_id": "bench-raw",
            "_run_id": "bench",
            "_loaded_at": np.datetime64("2026-11-01T00:00:00", "us"),
        }
    )
    for column in columns:  # any other warehouse column (e.g. the agency) gets an empty text
        if column not in full:
            full[column] = ""
    for f in standard().fields:
        if f.type == "date":
            full[f.name] = full[f.name].dt.strftime("%Y-%m-%d")
    full[columns].to_csv(path, index=False, date_format="%Y-%m-%dT%H:%M:%S")


def raw_load(engine: sa.Engine, std, csv_path: Path) -> float:
    """The engine's own bulk load of the same rows into a table with the warehouse's DDL and key."""
    table = warehouse.fact_table(std, sa.MetaData()).to_metadata(sa.MetaData(), schema=None, name="bench_raw_load")
    table.drop(engine, checkfirst=True)
    table.create(engine)
    start = time.perf_counter()
    with engine.begin() as connection:
        if engine.dialect.name == "duckdb":
            types = ", ".join(f"'{c.name}': '{DUCK_TYPES[type(c.type)]}'" for c in table.columns)
            connection.exec_driver_sql(
                f"INSERT INTO bench_raw_load SELECT * FROM read_csv('{csv_path}', "
                f"header = true, auto_detect = false, delim = ',', quote = '\"', "
                f"columns = {{{types}}})"
            )
        else:
            with connection.connection.driver_connection.cursor() as cursor, csv_path.open("rb") as source:
                with cursor.copy("COPY bench_raw_load FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
                    while block := source.read(1 << 20):
                        copy.write(block)
    seconds = time.perf_counter() - start
    table.drop(engine)
    return seconds


def to_sql(engine: sa.Engine, frame) -> float:
    data = frame.assign(**{warehouse.REGION_KEY: REGENCY})
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS bench_to_sql")
    seconds, _ = timed(lambda: data.to_sql("bench_to_sql", engine, index=False))
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE bench_to_sql")
    return seconds


def drop_postgres(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = sa.create_engine(url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def fresh_postgres(name: str) -> str:
    """An empty database on the project's cluster (the script starts the cluster if needed)."""

    def url() -> str:
        return subprocess.run(
            ["bash", "scripts/postgres.sh", "url", name],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
        ).stdout.strip()

    drop_postgres(url())
    return url()


def run_engine(name: str, url: str, frame, csv_path: Path, to_sql_rows: int) -> list[tuple[str, str]]:
    std = standard()
    engine = warehouse.create_engine(url)
    rows = len(frame)
    lines = []
    seconds, result = timed(lambda: warehouse.merge(engine, std, frame, REGENCY, "bench-1", "bench"))
    lines.append(("merge into an empty table", f"{seconds:6.2f} s  {rows / seconds:>10,.0f} rows/s  {result}"))
    raw_seconds = raw_load(engine, std, csv_path)
    raw_name = "read_csv" if name == "duckdb" else "COPY FROM STDIN"
    lines.append(
        (
            f"raw bulk load ({raw_name}, anchor)",
            f"{raw_seconds:6.2f} s  {rows / raw_seconds:>10,.0f} rows/s  "
            f"(merge takes {seconds / raw_seconds:.1f}x the raw load)",
        )
    )
    seconds, result = timed(lambda: warehouse.merge(engine, std, frame, REGENCY, "bench-2", "bench"))
    lines.append(("no-change re-run (merge)", f"{seconds:6.2f} s  {result}"))
    changed = frame.copy()
    picks = np.arange(0, rows, max(rows // 10_000, 1))[:10_000]
    changed.loc[picks, "harga"] = changed.loc[picks, "harga"] + 50
    # The agency's whole file again (a file drop: complete, so rows it lacks would be deleted).
    seconds, result = timed(lambda: warehouse.merge(engine, std, changed, REGENCY, "bench-3", "bench", complete=True))
    lines.append((f"whole batch re-sent, {len(picks):,} prices changed", f"{seconds:6.2f} s  {result}"))
    corrections = changed.iloc[picks].assign(harga=changed["harga"].iloc[picks] + 50)
    seconds, result = timed(lambda: warehouse.merge(engine, std, corrections, REGENCY, "bench-4", "bench"))
    lines.append((f"a batch of {len(picks):,} corrected prices", f"{seconds:6.2f} s  {result}"))
    n = min(to_sql_rows, rows)
    seconds = to_sql(engine, frame.head(n))
    lines.append((f"DataFrame.to_sql, {n:,} rows", f"{seconds:6.2f} s  {n / seconds:>10,.0f} rows/s"))
    engine.dispose()
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--to-sql-rows", type=int, default=100_000)
    parser.add_argument("--engines", default="duckdb,postgresql")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "satudata-bench")
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    frame = market_prices(args.rows)
    std = standard()
    columns = [c.name for c in warehouse.fact_table(std, sa.MetaData()).columns]
    csv_path = args.workdir / f"warehouse_{args.rows}.csv"
    seconds, _ = timed(lambda: table_csv(frame, csv_path, columns))
    print(
        f"fact batch: {args.rows:,} rows of {std.ref} ({len(columns)} columns with regency and lineage); "
        f"CSV for the raw loads {csv_path.stat().st_size / 1e6:.0f} MB, written in {seconds:.1f} s (not timed)"
    )
    for name in args.engines.split(","):
        if name == "duckdb":
            db = args.workdir / "bench_wh.duckdb"
            db.unlink(missing_ok=True)
            url = f"duckdb:///{db}"
        elif name == "postgresql":
            url = fresh_postgres("bench_wh")
        else:
            raise SystemExit(f"unknown engine {name!r}")
        print(f"{name}:", flush=True)
        for label, figure in run_engine(name, url, frame, csv_path, args.to_sql_rows):
            print(f"  {label:<40} {figure}", flush=True)
        if name == "duckdb":
            db.unlink(missing_ok=True)
        else:
            drop_postgres(url)


if __name__ == "__main__":
    main()
