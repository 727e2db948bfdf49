"""Scale of one regency's Daftar Data: a regency whose Daftar Data holds 300 entries from 40 OPD (the market
prices and 299 generic indicators, each delivered to a drop folder) against the same regency with 7 entries,
both measured in the same run, each in fresh processes as a walidata's machine runs them:

- definitions: the code location's `defs` with the main job resolved (what the UI, the daemon and every run load);
- nothing new: `python -m assets.run` when every drop folder holds the files last published (their source
  memos are written as a publication leaves them, so no portal is needed: nothing new makes no portal call).

Targets: definitions <= 10 s and nothing new <= 30 s at 300 entries.

    .venv/bin/python bench/daftar_data_bench.py [--entries 300] [--agencies 40] [--repeat 3]
"""

import argparse
import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"definitions": 10.0, "nothing new": 30.0}
# PPU's districts, as a wide sheet of an indicator names them (a column per year).
DISTRICTS = ["Babulu", "Waru", "Penajam", "Sepaku"]
# What the code server, the daemon and every run load (workspace.yaml: assets.definitions:defs).
LOAD_DEFINITIONS = "from assets.definitions import MAIN_JOB, defs; defs().resolve_job_def(MAIN_JOB)"


def catalogue(folder: Path, entries: int, agencies: int) -> dict[str, str]:
    """A catalogue folder and drop folder for PPU with `entries` Daftar Data entries; the environment of its
    runs (state, Dagster home and catalogue inside `folder`)."""
    cat, drops, state = folder / "catalogue", folder / "drops", folder / "state"
    cat.mkdir(parents=True)
    for name in ("reference.yaml", "pipeline.yaml", "alerts.yaml"):
        shutil.copy(ROOT / "catalogue" / name, cat)
    portals = yaml.safe_load((ROOT / "catalogue" / "portals.yaml").read_text())
    (cat / "portals.yaml").write_text(yaml.safe_dump({k: v for k, v in portals.items() if "province" not in v}))
    shutil.copytree(ROOT / "catalogue" / "data-induk", cat / "data-induk")
    doc = yaml.safe_load((ROOT / "catalogue" / "penajam-paser-utara.yaml").read_text())
    [market] = [d for d in doc["datasets"] if d["name"] == "harga-pasar"]
    market["source"]["path"] = str(drops / "harga-pasar")
    shutil.copytree(ROOT / "demo" / "drops" / "ppu" / "disdag", drops / "harga-pasar")
    opd = [
        {
            "slug": f"opd-{n:02d}-ppu",
            "name": f"Perangkat Daerah {n:02d} Kabupaten Penajam Paser Utara",
            "contact": f"opd{n:02d}@penajamkab.go.id",
        }
        for n in range(1, agencies + 1)
    ]
    indicators = []
    (drops / "indikator").mkdir(parents=True)
    for n in range(1, entries):
        name = f"indikator-{n:03d}"
        sheet = drops / "indikator" / f"{name.replace('-', '_')}_2021_2024.csv"
        rows = ["Kecamatan;2021;2022;2023;2024"] + [
            f"{d};{n + i};{n + i + 1};{n + i + 2};{n + i + 3}" for i, d in enumerate(DISTRICTS)
        ]
        sheet.write_text("\n".join(rows) + "\n", encoding="utf-8")
        indicators.append(
            {
                "name": name,
                "schema": "indikator/1.0.0",
                "agency": opd[n % agencies]["slug"],
                "source": {
                    "kind": "file_drop",
                    "path": str(drops / "indikator"),
                    "patterns": [sheet.name],
                    "unpivot": {"columns": "years"},
                },
                "columns": {"Kecamatan": "nama_wilayah"},
                "grace_hours": 720,
                "indikator": {
                    "nama": f"Indikator {n:03d}",
                    "satuan": "unit",
                    "definisi": f"Indikator sektoral {n:03d}",
                },
            }
        )
    doc.update(
        agencies=[a for a in doc["agencies"] if a["slug"] == market["agency"]] + opd, datasets=[market] + indicators
    )
    doc.pop("api_token_env", None)
    (cat / "ppu.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    (cat / "daftar-data").mkdir()
    (cat / "daftar-data" / "ppu-2026.yaml").write_text(
        yaml.safe_dump(
            {
                "regency": "ppu",
                "year": 2026,
                "agreed_on": "2026-01-22",
                "entries": [
                    {
                        "dataset": d["name"],
                        "agency": d["agency"],
                        "standard": d["schema"],
                        "frequency": "Harian" if d is market else "Tahunan",
                        "priority": d is market,
                        "decision": f"BA Forum Satu Data Kab. PPU 2026, lampiran I no. {n}",
                        "release_schedule": [{"period": "2026", "due": "2027-03-31"}],
                    }
                    for n, d in enumerate([market] + indicators, start=1)
                ],
            },
            sort_keys=False,
        )
    )
    # What a publication leaves: each source's memo names the files it delivered.
    for d in [market] + indicators:
        memo = state / "sources" / "ppu" / d["name"]
        memo.mkdir(parents=True)
        files = [
            p
            for pattern in d["source"].get("patterns", ["*.csv", "*.xlsx"])
            for p in Path(d["source"]["path"]).glob(pattern)
        ]
        (memo / "delivered.json").write_text(
            json.dumps({"files": sorted([p.name, hashlib.sha256(p.read_bytes()).hexdigest()] for p in files)})
        )
    shutil.copytree(ROOT / ".state" / "reference", state / "reference", dirs_exist_ok=True)
    home = folder / "dagster"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    return {
        **os.environ,
        "SATUDATA_CATALOGUE": str(cat),
        "SATUDATA_STATE": str(state),
        "DAGSTER_HOME": str(home),
        "SATUDATA_WAREHOUSE_URL": f"duckdb:///{state / 'warehouse.duckdb'}",
        "GX_ANALYTICS_ENABLED": "false",
    }


def timed(command: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    if done.returncode:
        sys.exit(f"{' '.join(command)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    if command[-1] == "assets.run" and "0 run" not in done.stdout:
        sys.exit(f"expected nothing new, assets.run said:\n{done.stdout[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--entries", type=int, default=300)
    parser.add_argument("--agencies", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="satudata-daftar-") as folder:
        cases = {
            f"{args.entries} entries": catalogue(Path(folder) / "big", args.entries, args.agencies),
            "7 entries (anchor)": catalogue(Path(folder) / "small", 7, 4),
        }
        results = {case: {"definitions": [], "nothing new": []} for case in cases}
        for _ in range(args.repeat):  # interleaved, so the machine's load falls on every case alike
            for case, env in cases.items():
                results[case]["definitions"].append(timed([sys.executable, "-c", LOAD_DEFINITIONS], env))
                results[case]["nothing new"].append(timed([sys.executable, "-m", "assets.run"], env))
    print(f"{'case':<22} {'figure':<12} {'median':>8} {'target':>8}")
    for case, figures in results.items():
        for figure, values in figures.items():
            target = TARGETS[figure] if not case.startswith("7") else None
            verdict = "" if target is None else ("met" if statistics.median(values) <= target else "NOT met")
            print(
                f"{case:<22} {figure:<12} {statistics.median(values):>7.1f}s "
                f"{'' if target is None else f'<= {target:.0f}s':>8} {verdict}"
            )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
