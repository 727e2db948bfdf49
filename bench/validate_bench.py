"""Start-up of the agency self-check (issue 18): wall seconds of `satudata validate` on a one-row file, each in
a fresh process as an agency runs it, beside the anchor `python -c "import pandas"` measured in the same run
(interleaved, so the machine's load falls on both alike). Target: 1.5 s.

    .venv/bin/python bench/validate_bench.py [--repeat 7]
"""

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV = Path(sys.executable).parent
TARGET_SECONDS = 1.5
# One row of a PPU market-price delivery, as an agency's spreadsheet writes it; the name states its month.
ROW = (
    "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
    "22/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 18.000\n"
)


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of the process (user + system: what the machine's load does not inflate)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, env=os.environ | {"GX_ANALYTICS_ENABLED": "false"}
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode not in (0, 1):  # 1: the file was refused, still a full check
        sys.exit(f"{' '.join(command)} failed:\n{done.stderr}")
    return seconds, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        sample = Path(folder) / "harga_pasar_2026-10.csv"
        sample.write_text(ROW, encoding="utf-8")
        validate = [
            str(VENV / "satudata"),
            "validate",
            str(sample),
            "--schema",
            "harga-pasar/1.0.0",
            "--regency",
            "ppu",
        ]
        anchor = [str(VENV / "python"), "-c", "import pandas"]
        timed(validate)  # warm: compiled modules and the region table's copy, as on any later run
        runs = {"validate": [], "anchor": []}
        for _ in range(args.repeat):
            runs["validate"].append(timed(validate))
            runs["anchor"].append(timed(anchor))
    figure, floor = (statistics.median(wall for wall, _ in runs[k]) for k in ("validate", "anchor"))
    cpu, cpu_floor = (statistics.median(cpu for _, cpu in runs[k]) for k in ("validate", "anchor"))
    walls = [wall for wall, _ in runs["validate"]]
    print(
        f"satudata validate, 1 row (median of {args.repeat}): {figure:.2f} s wall (min {min(walls):.2f}, "
        f"max {max(walls):.2f}), {cpu:.2f} s CPU; target {TARGET_SECONDS} s: "
        f"{'met' if figure <= TARGET_SECONDS else 'NOT met'}"
    )
    print(f'anchor python -c "import pandas" (median): {floor:.2f} s wall, {cpu_floor:.2f} s CPU')
    print(f"ratio {figure / floor:.1f}x the anchor; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
