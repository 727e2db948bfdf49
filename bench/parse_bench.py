"""Parsing speed and memory (issue 3): `pipelines.parsing.parse_file` on a generated 1,000,000-row agency CSV
(`;`-separated, `22/09/2022` dates, `Rp 12.500` prices, agency header names) and a 100,000-row XLSX, next to
the anchors `pandas.read_csv` of the same CSV and `pandas.read_excel(engine="calamine")` of the same XLSX.

Each measurement runs in a fresh child process. Memory is the kernel's peak resident size of that process
(VmHWM in /proc/self/status; getrusage's ru_maxrss would carry the parent's peak across exec): "peak RSS" is
the whole process, "extra" the peak above what it held before reading (interpreter, pandas, imports).

    .venv/bin/python bench/parse_bench.py [--csv-rows 1000000] [--xlsx-rows 100000] [--workdir DIR]

The generated files are kept in --workdir (default: the system temp folder) and reused by the next run.
"""

import argparse
import hashlib
import json
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


def measure(kind: str, path: Path) -> dict:
    """Child process: one read of `path`, timed, with its memory."""
    import pandas as pd

    from bench.data import AGENCY_COLUMNS, standard
    from pipelines.parsing import parse_file
    std = standard()
    raw = _raw(path) if kind.startswith("parse_file") else None
    Path("/proc/self/clear_refs").write_text("5")  # the peak starts again from what is resident now
    before = _status_mb("VmRSS")
    start = time.perf_counter()
    if kind.startswith("parse_file"):
        batch = parse_file(raw, std, AGENCY_COLUMNS)
        rows, issues = len(batch.frame), len(batch.issues)
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
                writer, sheet_name="Harga", header=False, index=False)
            frame.to_excel(writer, sheet_name="Harga", index=False, startrow=2)
        partial.replace(xlsx_path)
    return csv_path, xlsx_path


def child(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--xlsx-rows", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "satudata-bench")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child[0], Path(args.child[1]))))
        return
    args.workdir.mkdir(parents=True, exist_ok=True)
    csv_path, xlsx_path = generate(args.workdir, args.csv_rows, args.xlsx_rows)
    cases = [("parse_file CSV", "parse_file", csv_path), ("pandas.read_csv (anchor)", "read_csv", csv_path),
             ("parse_file XLSX", "parse_file", xlsx_path),
             ("pandas.read_excel calamine (anchor)", "read_excel", xlsx_path)]
    print(f"CSV {csv_path.stat().st_size / 1e6:.1f} MB, XLSX {xlsx_path.stat().st_size / 1e6:.1f} MB")
    print(f"  {'what':<36} {'rows':>9} {'seconds':>8} {'rows/s':>10} {'peak RSS':>9} {'extra':>9}  issues")
    for label, kind, path in cases:
        r = child(kind, path)
        print(f"  {label:<36} {r['rows']:>9,} {r['seconds']:>8.2f} {r['rows'] / r['seconds']:>10,.0f} "
              f"{r['peak_mb']:>6.0f} MB {r['extra_mb']:>6.0f} MB  {r['issues']}", flush=True)


if __name__ == "__main__":
    main()
