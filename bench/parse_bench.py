"""Parsing speed and memory (issue 3): `pipelines.parsing.parse_file` on a generated 1,000,000-row agency CSV
(`;`-separated, `22/09/2022` dates, `Rp 12.500` prices, agency header names) and a 100,000-row XLSX, next to
the anchors `pandas.read_csv` of the same CSV and `pandas.read_excel(engine="calamine")` of the same XLSX.

Each measurement runs in a fresh child process. Memory is the kernel's peak resident size of that process
(VmHWM in /proc/self/status; getrusage's ru_maxrss would carry the parent's peak across exec): "peak RSS" is
the whole process, "extra" the peak above what it held before reading (interpreter, pandas, imports).

    .venv/bin/python bench/parse_bench.py [--csv-rows 1000000] [--xlsx-rows 100000] [--workdir DIR]
                                          [--chunk-rows 200000]
    .venv/bin/python bench/parse_bench.py --gb 1 [--chunk-rows 200000]

The generated files are kept in --workdir (default: the system temp folder) and reused by the next run.
`--gb N` writes a ~N GB agency CSV (valid rows, unique keys) into a new temporary folder, serves it on loopback
(`python -m http.server`, stopped by its process id) and runs the pipeline's steps on it in one child process
(pulled by the URL source into the raw archive as a stream, parse -> staged Parquet, validate, personal-data
scan, warehouse merge into a DuckDB file), printing time and peak RSS after each step, beside the anchor
`pandas.read_csv` reading the same file in chunks of the same size; then deletes the folder.
"""

import argparse
import hashlib
import json
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _raw(path: Path):
    from pipelines.raw import RawFile

    data = path.read_bytes()
    return RawFile(path.name, hashlib.sha256(data).hexdigest(), len(data), str(path), str(path), "bench")


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024  # kB
    raise RuntimeError(f"{field} not in /proc/self/status")


def _peak_mb() -> float:
    return _status_mb("VmHWM")


def _fresh_peak() -> float:
    """Start the peak again from what is resident now; returns that."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def measure(kind: str, path: Path, chunk_rows: int) -> dict:
    """Child process: one read of `path`, timed, with its memory."""
    import pandas as pd

    from bench.data import AGENCY_COLUMNS, standard
    from pipelines.parsing import parse_file

    std = standard()
    raw = _raw(path) if kind.startswith("parse_file") else None
    before = _fresh_peak()
    start = time.perf_counter()
    if kind.startswith("parse_file"):
        with tempfile.TemporaryDirectory() as folder:
            batch = parse_file(raw, std, AGENCY_COLUMNS, folder=Path(folder), chunk_rows=chunk_rows)
        rows, issues = batch.rows, len(batch.issues)
    elif kind == "read_csv":
        rows, issues = len(pd.read_csv(path, sep=";")), 0
    elif kind == "read_excel":
        rows, issues = len(pd.read_excel(path, engine="calamine", header=2)), 0
    else:
        raise ValueError(kind)
    seconds = time.perf_counter() - start
    peak = _peak_mb()
    return {"rows": rows, "issues": issues, "seconds": seconds, "peak_mb": peak, "extra_mb": peak - before}


def generate(workdir: Path, csv_rows: int, xlsx_rows: int) -> tuple[Path, Path]:
    from bench.data import agency_csv, market_prices

    csv_path = workdir / f"harga_pasar_{csv_rows}.csv"
    xlsx_path = workdir / f"harga_pasar_{xlsx_rows}.xlsx"
    if not csv_path.exists():
        print(f"writing {csv_path} ...", flush=True)
        partial = csv_path.with_suffix(".partial")
        partial.write_text(agency_csv(market_prices(csv_rows)), encoding="utf-8")
        partial.replace(csv_path)
    if not xlsx_path.exists():
        import io

        import pandas as pd

        print(f"writing {xlsx_path} (openpyxl, slow) ...", flush=True)
        frame = pd.read_csv(io.StringIO(agency_csv(market_prices(xlsx_rows))), sep=";", dtype=str)
        partial = xlsx_path.with_suffix(".partial.xlsx")
        with pd.ExcelWriter(partial, engine="openpyxl") as writer:
            # a title row above the header, as agencies do
            pd.DataFrame([["Harga Komoditas Pasar - Dinas Perdagangan PPU"]]).to_excel(
                writer, sheet_name="Harga", header=False, index=False
            )
            frame.to_excel(writer, sheet_name="Harga", index=False, startrow=2)
        partial.replace(xlsx_path)
    return csv_path, xlsx_path


def child(kind: str, path: Path, chunk_rows: int) -> dict:
    done = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(path), "--chunk-rows", str(chunk_rows)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def generate_big(path: Path, gigabytes: float) -> int:
    """A ~`gigabytes` agency CSV written a block at a time (bounded memory here too): each block is the same
    market days shifted by whole days, so the key (tanggal, kode_pasar, komoditas) stays unique."""
    import pandas as pd

    from bench.data import MARKETS_PER_DAY, agency_csv, market_prices, standard

    commodities = len(next(f for f in standard().fields if f.name == "komoditas").enum)
    per_day = MARKETS_PER_DAY * commodities
    days = max(1, 1_000_000 // per_day)
    block = market_prices(days * per_day)
    rows = 0
    with open(path, "w", encoding="utf-8") as out:
        shift = 0
        while out.tell() < gigabytes * 1e9:
            text = agency_csv(block.assign(tanggal=block["tanggal"] + pd.Timedelta(days=shift)))
            out.write(text if shift == 0 else text.split("\n", 1)[1])
            rows += len(block)
            shift += days
    return rows


def pipeline(path: Path, chunk_rows: int, warehouse_url: str | None, url: str) -> dict:
    """Child process: pull (URL source -> raw archive) -> parse -> validate -> personal-data scan -> warehouse
    merge of one big CSV served at `url` (a DuckDB file beside it, or the warehouse at `warehouse_url`)."""
    from datetime import date

    import pandas as pd

    from bench.data import AGENCY_COLUMNS, CODE_LISTS, references, standard
    from pipelines import warehouse
    from pipelines.parsing import parse_file
    from pipelines.raw import RawArchive
    from pipelines.sources import url as url_source
    from pipelines.validation import validate
    from pipelines.validation.privacy import scan

    std = standard()
    steps = {}

    def step(name, work):
        before = _fresh_peak()
        start = time.perf_counter()
        try:
            result = work()
        except Exception as error:  # noqa: BLE001 (a step that fails is a figure too: say why)
            result, steps[name + " FAILED: " + str(error).splitlines()[0][:160]] = None, {}
        steps.setdefault(name, {"seconds": time.perf_counter() - start, "peak_mb": _peak_mb(), "before_mb": before})
        return result

    def anchor():
        rows = 0
        for chunk in pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, chunksize=chunk_rows):
            rows += len(chunk)
        return rows

    anchor_rows = step("pandas.read_csv chunked (anchor)", anchor)
    archive, memo = RawArchive(path.parent / "raw"), path.parent / "memo"
    memo.mkdir()
    pulled = step(
        "pull (URL source) -> raw archive",
        lambda: [
            archive.store("bench", "harga-pasar", d.name, d.data, d.origin) for d in url_source.pull({"url": url}, memo)
        ],
    )
    if not pulled:
        return {"rows": 0, "anchor_rows": anchor_rows, "issues": 0, "inserted": 0, "parquet_mb": 0, "steps": steps}
    raw = pulled[0]
    folder = path.parent / "staged"
    batch = step(
        "parse -> staged Parquet", lambda: parse_file(raw, std, AGENCY_COLUMNS, folder=folder, chunk_rows=chunk_rows)
    )
    outcome = step(
        "validate (DuckDB over Parquet)",
        lambda: validate(batch.path, std, CODE_LISTS, today=date(2100, 1, 1), references=references()),
    )
    personal = step("personal-data scan", lambda: scan(batch.path, std, {"640901", "640902", "640903", "640904"}))
    engine = warehouse.create_engine(warehouse_url or f"duckdb:///{path.parent / 'warehouse.duckdb'}")
    merged = step(
        f"warehouse merge ({engine.dialect.name})",
        lambda: warehouse.merge(engine, std, batch.path, "64.09", "b1", "bench"),
    )
    return {
        "rows": batch.rows,
        "anchor_rows": anchor_rows,
        "issues": len(batch.issues) + len(outcome.issues) + len(personal),
        "inserted": merged.inserted if merged else 0,
        "parquet_mb": batch.path.stat().st_size / 1e6,
        "steps": steps,
    }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(port: int) -> None:
    for _ in range(100):  # bounded: 10 s
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise SystemExit(f"the loopback file server on port {port} did not start")


def main_gb(gigabytes: float, chunk_rows: int, warehouse_url: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="satudata-gb-") as folder:
        path = Path(folder) / "harga_pasar_besar.csv"
        print(f"writing {path} (~{gigabytes} GB) ...", flush=True)
        rows = generate_big(path, gigabytes)
        print(f"CSV {path.stat().st_size / 1e9:.2f} GB, {rows:,} rows, chunk {chunk_rows:,} rows", flush=True)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", folder],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(port)
            done = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--child",
                    "pipeline",
                    str(path),
                    "--chunk-rows",
                    str(chunk_rows),
                    "--url",
                    f"http://127.0.0.1:{port}/{path.name}",
                ]
                + (["--warehouse-url", warehouse_url] if warehouse_url else []),
                capture_output=True,
                text=True,
                cwd=ROOT,
            )
        finally:
            server.terminate()  # the server this bench started, by its process id
            server.wait(timeout=30)
        if done.returncode:
            print("\n".join(line for line in done.stderr.splitlines() if "Error" in line)[-3000:])
            raise SystemExit(done.returncode)
        r = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"  {'step':<36} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9}")
    for name, s in r["steps"].items():
        if not s:
            print(f"  {name}")
            continue
        print(f"  {name:<36} {s['seconds']:>8.1f} {r['rows'] / s['seconds']:>10,.0f} {s['peak_mb']:>6.0f} MB")
    print(
        f"  rows {r['rows']:,} (anchor {r['anchor_rows']:,}), issues {r['issues']}, inserted {r['inserted']:,}, "
        f"staged Parquet {r['parquet_mb']:.0f} MB; temporary folder deleted"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "satudata-bench")
    parser.add_argument("--chunk-rows", type=int, default=None, help="CSV rows per chunk (default: the parser's)")
    parser.add_argument("--gb", type=float, help="run the pipeline's steps on a generated CSV of this many GB")
    parser.add_argument(
        "--warehouse-url",
        help="with --gb: merge into this warehouse (e.g. the project's "
        "PostgreSQL, `bash scripts/postgres.sh url bench_gb`) instead of a DuckDB file",
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from pipelines.parsing import CHUNK_ROWS

    chunk_rows = args.chunk_rows or CHUNK_ROWS
    if args.child:
        kind, path = args.child[0], Path(args.child[1])
        figures = (
            pipeline(path, chunk_rows, args.warehouse_url, args.url)
            if kind == "pipeline"
            else measure(kind, path, chunk_rows)
        )
        print(json.dumps(figures))
        return
    if args.gb:
        main_gb(args.gb, chunk_rows, args.warehouse_url)
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = generate(args.workdir, args.csv_rows, args.xlsx_rows)
    cases = [
        ("parse_file CSV", "parse_file", csv_path),
        ("pandas.read_csv (anchor)", "read_csv", csv_path),
        ("parse_file XLSX", "parse_file", xlsx_path),
        ("pandas.read_excel calamine (anchor)", "read_excel", xlsx_path),
    ]
    print(f"CSV {csv_path.stat().st_size / 1e6:.1f} MB, XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB")
    print(f"  {'what':<36} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} {'extra':>9}  issues")
    for label, kind, path in cases:
        r = child(kind, path, chunk_rows)
        print(
            f"  {label:<36} {r['rows']:>9,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>10,.0f} "
            f"{r['peak_mb']:>6.0f} MB {r['extra_mb']:>6.0f} MB  {r['issues']}",
            flush=True,
        )


if __name__ == "__main__":
    main()
