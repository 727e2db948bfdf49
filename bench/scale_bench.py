"""How the Dagster code location (`assets.definitions`) scales with the number of regencies: for N regencies
(default 3, 30, 100 and 514, all the regencies and cities of Indonesia) a generated catalogue is loaded in a
fresh Python process, and the figures are printed per N:

  - load: `import_s` (`import assets.definitions`, which builds `defs`; includes importing Dagster itself),
    `graph_s` (`defs.get_repository_def()`, `resolve_asset_graph()`, `resolve_all_job_defs()`), `load_s` their
    sum; the process's peak resident size (`ru_maxrss`, after load and at the end);
  - the shape: assets, asset checks, jobs (without Dagster's implicit `__ASSET_JOB`), schedules and sensors;
  - a nothing-new tick on an ephemeral Dagster instance: every schedule evaluated once (at "now" on its own
    clock) and every sensor twice in a row carrying its cursor (run-status / failure sensors, which react to
    runs, and declarative-automation sensors, which only the daemon can evaluate, are skipped); `tick_s` is
    the sum of all evaluations and `tick_run_requests` what they asked for. Every drop folder is empty, so the
    file-drop sensors should ask for nothing; a schedule asks for its run whenever it is evaluated.
    `--automation` also times one `dg.evaluate_automation_conditions` over the whole code location (what the
    daemon's default automation sensor does every 30 s), reported apart from `tick_s`.

Then the targets, each beside the figures of the same run: load at 514 <= 10 s and <= 3x the 3-regency load,
peak RSS at 514 <= 1 GB, at most 60 assets, the tick at 514 <= 60 s.

    .venv/bin/python bench/scale_bench.py [--sizes 3,30,100,514] [--timeout 900] [--automation] [--keep]

The catalogue of N regencies is made from the demo's (catalogue/penajam-paser-utara.yaml, paser.yaml,
luwu-utara.yaml, cycling): regency i copies one of the three with a real Kemendagri regency code (the demo's
own three first, then all the others in code order) read from the reference cache
($SATUDATA_STATE/reference, never fetched here; synthetic codes without it), slug `r<code digits>` (`r6409`),
the Kemendagri name, the timezone of its province (WIB, WITA or WIT), agencies renamed `<agency>-<slug>`, and
every dataset's source replaced by a file drop on its own empty folder (columns, grace hours, period,
retries kept; schedule overrides dropped). Regencies copying one with Data Induk lists (PPU's and Paser's
markets) get their own lists, the district codes moved to the new regency's Kemendagri districts. The shared
files (pipeline, portals, reference, alerts) and catalogue/data-induk are copied as they are. Each N has its
own catalogue, drop folders, state (the reference tarballs copied in) and DAGSTER_HOME (an empty
dagster.yaml) in a temp folder, removed at the end unless --keep. A size that runs past --timeout is killed
and reported with what it printed until then. One unmeasured process imports the code location first, so
the smallest size (the anchor of the load ratio) does not pay for a cold disk cache.
"""

import argparse
import copy
import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = (3, 30, 100, 514)
DEMO = ("penajam-paser-utara.yaml", "paser.yaml", "luwu-utara.yaml")  # regency i copies DEMO[i % 3]
SHARED = ("pipeline.yaml", "portals.yaml", "reference.yaml", "alerts.yaml")
PATTERNS = ["*.csv", "*.xlsx"]
# Province code -> clock: WIB unless listed. Papua Selatan (93) is on WIT like the other Papua provinces.
WITA = {"51", "52", "53", "63", "64", "65", "71", "72", "73", "74", "75", "76"}
WIT = {"81", "82", "91", "92", "93", "94", "95", "96", "97"}
TARGETS = {"load_s": 10.0, "load_ratio": 3.0, "peak_rss_mb": 1024.0, "assets": 60, "tick_s": 60.0}
TARGET_N = 514
RESULT = "SCALE_BENCH_RESULT "  # prefix of the child's result lines (the last one holds every figure so far)
TAIL_LINES = 25


def timezone_of(code: str) -> str:
    province = code.split(".")[0]
    return "Asia/Makassar" if province in WITA else "Asia/Jayapura" if province in WIT else "Asia/Jakarta"


# --- the generated catalogue ---------------------------------------------------------------------------------


@dataclass
class Regions:
    regencies: list[tuple[str, str]]  # (code, name), the demo's three first
    districts: dict[str, list[str]] = field(default_factory=dict)  # regency code -> its district codes
    source: str = ""
    cache: Path | None = None  # the reference tarballs, copied into each state


def kemendagri_regions() -> Regions:
    """Every regency of the reference cache (the demo's first), or the demo's three and synthetic codes."""
    from pipelines.catalogue import load_reference_config
    from pipelines.settings import state_dir

    demo = []
    for name in DEMO:
        region = yaml.safe_load((ROOT / "catalogue" / name).read_text(encoding="utf-8"))["regency"]
        demo.append((str(region["code"]), region["name"]))
    cache = state_dir() / "reference"
    config = load_reference_config(ROOT / "catalogue")
    current = config["kemendagri_regions"]
    tarball = cache / f"{current['npm_package']}-{current['version']}.tgz"
    if tarball.exists():  # load_regions would fetch a missing tarball with npm: the bench never does
        try:
            from pipelines.standard.reference import load_regions

            table = load_regions(config, cache)
            regencies = table[table["level"] == "kabupaten"].sort_values("code")
            districts = table[table["level"] == "kecamatan"].sort_values("code")
            demo_codes = {code for code, _ in demo}
            ordered = demo + [(c, n) for c, n in zip(regencies["code"], regencies["name"]) if c not in demo_codes]
            return Regions(
                ordered,
                districts.groupby("parent_code")["code"].apply(list).to_dict(),
                f"{table.attrs['edition']}, {len(regencies)} regencies and cities, cache {cache}",
                cache,
            )
        except Exception as error:  # noqa: BLE001 (a broken cache: synthetic codes, said so)
            print(f"reading the reference cache failed ({type(error).__name__}: {error}); synthetic codes")
    # Synthetic: provinces 20-25 (no real province; WIB), so no code meets a demo regency's.
    synthetic = [(f"{20 + j // 90}.{10 + j % 90:02d}", f"Kabupaten Sintetis {j + 1}") for j in range(TARGET_N)]
    return Regions(demo + synthetic, {}, f"no reference cache at {cache}: the demo's 3 codes, then synthetic ones")


def regency_document(template: dict, code: str, name: str, drops: Path) -> dict:
    """A copy of a demo regency under a new code, slug and name; every source a file drop on an empty folder."""
    old = template["regency"]
    slug = "r" + code.replace(".", "")

    def renamed(text):
        return text.replace(old["name"], name) if isinstance(text, str) else text

    def agency_slug(agency: str) -> str:
        return f"{agency.removesuffix('-' + old['slug'])}-{slug}"

    doc = copy.deepcopy(template)
    doc["regency"] = {"code": code, "slug": slug, "name": name, "timezone": timezone_of(code)}
    doc["walidata"] = renamed(doc["walidata"])
    doc["agencies"] = [
        {
            **a,
            "slug": agency_slug(a["slug"]),
            "name": renamed(a["name"]),
            **({"description": renamed(a["description"])} if "description" in a else {}),
        }
        for a in doc["agencies"]
    ]
    for dataset in doc["datasets"]:
        dataset.pop("schedule", None)  # every dataset on its standard's frequency
        dataset["agency"] = agency_slug(dataset["agency"])
        folder = drops / slug / dataset["name"]
        folder.mkdir(parents=True)
        dataset["source"] = {"kind": "file_drop", "path": str(folder), "patterns": list(PATTERNS)}
    return doc


def copy_master_lists(source: Path, target: Path, old_slug: str, new_slug: str, districts: list[str]) -> None:
    """The template's Data Induk lists (`<slug>-<list>.csv`) under the new slug, each district code replaced by
    one of the new regency's (in order, cycling when it has fewer)."""
    for path in sorted(source.glob(f"{old_slug}-*.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        fields = list(rows[0]) if rows else []
        if "kode_kecamatan" in fields:
            old = sorted({r["kode_kecamatan"] for r in rows})
            moved = {code: districts[n % len(districts)] for n, code in enumerate(old)}
            for row in rows:
                row["kode_kecamatan"] = moved[row["kode_kecamatan"]]
        with (target / f"{new_slug}-{path.name.removeprefix(old_slug + '-')}").open(
            "w", encoding="utf-8", newline=""
        ) as handle:
            writer = csv.DictWriter(handle, fieldnames=fields)
            writer.writeheader()
            writer.writerows(rows)


def write_catalogue(folder: Path, drops: Path, n: int, regions: Regions) -> None:
    project = ROOT / "catalogue"
    folder.mkdir(parents=True)
    for name in SHARED:
        shutil.copy(project / name, folder / name)
    shutil.copytree(project / "data-induk", folder / "data-induk")
    templates = [yaml.safe_load((project / name).read_text(encoding="utf-8")) for name in DEMO]
    for i, (code, name) in enumerate(regions.regencies[:n]):
        template = templates[i % len(templates)]
        doc = regency_document(template, code, name, drops)
        slug = doc["regency"]["slug"]
        (folder / f"{slug}.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=120), encoding="utf-8"
        )
        districts = regions.districts.get(code) or [f"{code}.{k:02d}" for k in range(1, 11)]
        copy_master_lists(project / "data-induk", folder / "data-induk", template["regency"]["slug"], slug, districts)


def prepare(workdir: Path, n: int, regions: Regions, name: str = "") -> dict:
    """Catalogue, drop folders, state and Dagster home for N regencies; the child's environment."""
    base = workdir / (name or f"n{n}")
    catalogue, drops, state, home = base / "catalogue", base / "drops", base / "state", base / "dagster_home"
    write_catalogue(catalogue, drops, n, regions)
    state.mkdir(parents=True)
    if regions.cache and regions.cache.is_dir():
        shutil.copytree(regions.cache, state / "reference")
    home.mkdir()
    (home / "dagster.yaml").write_text("")
    env = {
        **os.environ,
        "SATUDATA_CATALOGUE": str(catalogue),
        "SATUDATA_STATE": str(state),
        "DAGSTER_HOME": str(home),
        "CKAN_API_TOKEN": "dummy",
    }
    env.pop("SATUDATA_WAREHOUSE_URL", None)  # the fresh state's DuckDB, never someone's warehouse
    return env


# --- the child: one fresh process per N ----------------------------------------------------------------------


def child(automation: bool, import_only: bool) -> None:
    import resource
    from datetime import datetime
    from zoneinfo import ZoneInfo

    result: dict = {"errors": []}

    def emit() -> None:
        result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KiB on Linux
        print(RESULT + json.dumps(result), flush=True)

    def error(what: str, exc: BaseException) -> None:
        text = " ".join(str(exc).split())
        text = text if len(text) <= 400 else f"{text[:200]} ... {text[-200:]}"  # Dagster's reason is often last
        result["errors"].append(f"{what}: {type(exc).__name__}: {text}")

    def count(key: str, work) -> None:
        try:
            result[key] = work()
        except Exception as exc:  # noqa: BLE001 (the shape's API may differ: print what can be counted)
            error(key, exc)

    start = time.perf_counter()
    import assets.definitions as location  # builds `defs`

    defs = location.defs
    result["import_s"] = round(time.perf_counter() - start, 3)
    emit()
    if import_only:
        return

    start = time.perf_counter()
    try:
        repository = defs.get_repository_def()
        graph = defs.resolve_asset_graph()
        jobs = defs.resolve_all_job_defs()
    except Exception as exc:  # noqa: BLE001
        error("resolving the definitions", exc)
        emit()
        raise
    result["graph_s"] = round(time.perf_counter() - start, 3)
    result["load_s"] = round(result["import_s"] + result["graph_s"], 3)
    result["load_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    count("assets", lambda: len(defs.resolve_all_asset_keys()))
    count("checks", lambda: len(graph.asset_check_keys))
    count("jobs", lambda: len([j for j in jobs if not j.name.startswith("__ASSET_JOB")]))
    count("schedules", lambda: len(repository.schedule_defs))
    count("sensors", lambda: len(repository.sensor_defs))
    emit()

    import dagster as dg

    instance = dg.DagsterInstance.ephemeral()
    timings: list[tuple[float, str]] = []
    requests = {"schedule": 0, "sensor": 0, "sensor_first_tick": 0}
    skipped = {"run_status": 0, "automation": 0}
    evaluated = {"schedule": 0, "sensor": 0}
    for schedule in repository.schedule_defs:
        start = time.perf_counter()
        try:
            now = datetime.now(ZoneInfo(schedule.execution_timezone or "UTC"))
            data = schedule.evaluate_tick(
                dg.build_schedule_context(instance=instance, scheduled_execution_time=now, repository_def=repository)
            )
            requests["schedule"] += len(data.run_requests or [])
            evaluated["schedule"] += 1
        except Exception as exc:  # noqa: BLE001
            error(f"schedule {schedule.name}", exc)
        timings.append((time.perf_counter() - start, f"schedule {schedule.name}"))
    for sensor in repository.sensor_defs:
        if isinstance(sensor, dg.RunStatusSensorDefinition):
            skipped["run_status"] += 1
            continue
        if isinstance(sensor, dg.AutomationConditionSensorDefinition):
            skipped["automation"] += 1
            continue
        cursor = None
        for tick in (1, 2):
            start = time.perf_counter()
            try:
                context = dg.build_sensor_context(
                    instance=instance, cursor=cursor, sensor_name=sensor.name, definitions=defs
                )
                data = sensor.evaluate_tick(context)
                cursor = data.cursor if data.cursor is not None else cursor
                # The first tick sets the cursor (and reports datasets never delivered as late, once); the
                # second is the steady nothing-new tick.
                requests["sensor" if tick == 2 else "sensor_first_tick"] += len(data.run_requests or [])
                evaluated["sensor"] += 1
            except Exception as exc:  # noqa: BLE001
                error(f"sensor {sensor.name} tick {tick}", exc)
            timings.append((time.perf_counter() - start, f"sensor {sensor.name} tick {tick}"))
    result["tick_s"] = round(sum(t for t, _ in timings), 3)
    result["tick_schedule_s"] = round(sum(t for t, what in timings if what.startswith("schedule")), 3)
    result["tick_sensor_s"] = round(sum(t for t, what in timings if what.startswith("sensor")), 3)
    result["tick_run_requests"] = requests["schedule"] + requests["sensor"]
    result["tick_schedule_run_requests"] = requests["schedule"]
    result["tick_sensor_run_requests"] = requests["sensor"]
    result["first_sensor_tick_run_requests"] = requests["sensor_first_tick"]
    result["evaluations"] = evaluated
    result["failed_evaluations"] = sum(1 for e in result["errors"] if e.startswith(("schedule ", "sensor ")))
    result["skipped_sensors"] = skipped
    result["slowest"] = [f"{what}: {t:.3f} s" for t, what in sorted(timings, reverse=True)[:3]]
    emit()

    if automation:
        start = time.perf_counter()
        try:
            evaluation = dg.evaluate_automation_conditions(defs=defs, instance=instance)
            result["automation_requested"] = evaluation.total_requested
        except Exception as exc:  # noqa: BLE001
            error("evaluate_automation_conditions", exc)
        result["automation_s"] = round(time.perf_counter() - start, 3)
        emit()
    instance.dispose()


# --- the parent ----------------------------------------------------------------------------------------------


@dataclass
class Size:
    n: int
    generate_s: float
    wall_s: float = 0.0
    status: str = "ok"  # ok | TIMED OUT | FAILED (exit N)
    figures: dict = field(default_factory=dict)
    tail: list[str] = field(default_factory=list)


def measure(n: int, env: dict, timeout: float, generate_s: float, options: tuple[str, ...] = ()) -> Size:
    """One fresh child process, in its own process group (killed whole on a timeout)."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", *options]
    size = Size(n, generate_s)
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=timeout)
        if process.returncode:
            size.status = f"FAILED (exit {process.returncode})"
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        size.status = f"TIMED OUT ({timeout:.0f} s)"
    size.wall_s = time.perf_counter() - start
    results = [line.removeprefix(RESULT) for line in output.splitlines() if line.startswith(RESULT)]
    size.figures = json.loads(results[-1]) if results else {}
    size.tail = [line for line in output.splitlines() if not line.startswith(RESULT)][-TAIL_LINES:]
    return size


def shown(value, digits: int = 1) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}" if isinstance(value, float) else f"{value:,}"


def table(sizes: list[Size]) -> None:
    columns = [
        ("regencies", lambda s: s.n),
        ("load s", lambda s: shown(s.figures.get("load_s"), 2)),
        ("import s", lambda s: shown(s.figures.get("import_s"), 2)),
        ("graph s", lambda s: shown(s.figures.get("graph_s"), 2)),
        ("peak RSS MB", lambda s: s.figures.get("peak_rss_mb")),
        ("assets", lambda s: s.figures.get("assets")),
        ("checks", lambda s: s.figures.get("checks")),
        ("jobs", lambda s: s.figures.get("jobs")),
        ("schedules", lambda s: s.figures.get("schedules")),
        ("sensors", lambda s: s.figures.get("sensors")),
        ("tick s", lambda s: shown(s.figures.get("tick_s"), 3)),
        ("failed evals", lambda s: s.figures.get("failed_evaluations")),
        ("run requests", lambda s: s.figures.get("tick_run_requests")),
        (
            "sched/sensor",
            lambda s: (
                None
                if "tick_run_requests" not in s.figures
                else f"{s.figures['tick_schedule_run_requests']}/{s.figures['tick_sensor_run_requests']}"
            ),
        ),
        ("status", lambda s: s.status),
    ]
    rows = [[h for h, _ in columns]] + [
        [v if isinstance(v := get(s), str) else shown(v) for _, get in columns] for s in sizes
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(len(columns))]
    for n, row in enumerate(rows):
        print("  " + "  ".join(c.rjust(w) if i < len(row) - 1 else c for i, (c, w) in enumerate(zip(row, widths))))
        if n == 0:
            print("  " + "  ".join("-" * w for w in widths))


def targets(sizes: list[Size]) -> None:
    measured = [s for s in sizes if s.figures.get("load_s") is not None]
    if not measured:
        print("\nTargets: nothing measured")
        return
    top = max(sizes, key=lambda s: s.n)
    anchor = min(sizes, key=lambda s: s.n)
    where = f"N={top.n}" + ("" if top.n == TARGET_N else f"; the targets are for {TARGET_N}, not measured")
    print(f"\nTargets ({where}; a figure not measured is NOT MET):")

    def line(
        label: str, value, target: float, unit: str, anchor_text: str = "", digits: int = 1, complete: bool = True
    ) -> None:
        met = "MET" if complete and value is not None and value <= target else "NOT MET"
        print(
            f"  {label:<34} {shown(value, digits) + unit:>12}  {f'<= {target:g}{unit}':<11} {met:<8} "
            f"{anchor_text}".rstrip()
        )

    figures = top.figures
    load, anchor_load = figures.get("load_s"), anchor.figures.get("load_s")
    ratio = load / anchor_load if load is not None and anchor_load else None
    line(
        f"load at {top.n}",
        load,
        TARGETS["load_s"],
        " s",
        f"import {shown(figures.get('import_s'), 2)} s + graph {shown(figures.get('graph_s'), 2)} s",
    )
    line(
        f"load at {top.n} / load at {anchor.n}",
        ratio,
        TARGETS["load_ratio"],
        "x",
        f"anchor: load at {anchor.n} = {shown(anchor_load, 2)} s, this run"
        + ("" if anchor.n == 3 else " (3 not measured: smallest N)"),
    )
    line(
        f"peak RSS at {top.n}",
        figures.get("peak_rss_mb"),
        TARGETS["peak_rss_mb"],
        " MB",
        f"at N={anchor.n}: {shown(anchor.figures.get('peak_rss_mb'))} MB",
    )
    line(
        f"assets at {top.n}",
        figures.get("assets"),
        TARGETS["assets"],
        "",
        f"at N={anchor.n}: {shown(anchor.figures.get('assets'))}",
    )
    failed = figures.get("failed_evaluations")
    line(
        f"nothing-new tick at {top.n}",
        figures.get("tick_s"),
        TARGETS["tick_s"],
        " s",
        ("(a tick with failed evaluations is NOT MET) " if failed else "")
        + f"at N={anchor.n}: {shown(anchor.figures.get('tick_s'), 3)} s; run requests at {top.n}: "
        f"{shown(figures.get('tick_run_requests'))}; failed evaluations at {top.n}: "
        f"{shown(failed)}",
        digits=3,
        complete=failed == 0,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="numbers of regencies, e.g. 3,30")
    parser.add_argument("--timeout", type=float, default=900, help="seconds per size before its process is killed")
    parser.add_argument(
        "--automation",
        action="store_true",
        help="also time one evaluation of every automation condition (reported apart)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temp folder (catalogues, states)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--import-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.automation, args.import_only)
        return
    ns = sorted({int(n) for n in args.sizes.split(",") if n.strip()})
    regions = kemendagri_regions()
    if ns and ns[-1] > len(regions.regencies):
        raise SystemExit(f"at most {len(regions.regencies)} regencies")
    workdir = Path(tempfile.mkdtemp(prefix="satudata-scale-"))
    print(
        f"regions: {regions.source}\nworkdir {workdir}; {os.cpu_count()} cores; Python {sys.version.split()[0]}",
        flush=True,
    )
    sizes: list[Size] = []
    try:
        # Unmeasured: the first process to import Dagster and the project reads them from a cold disk cache,
        # which would slow the smallest size, the anchor of the load ratio.
        start = time.perf_counter()
        warmup = measure(ns[0], prepare(workdir, ns[0], regions, "warmup"), args.timeout, 0.0, ("--import-only",))
        print(
            f"warm-up process (N={ns[0]}, not measured): {warmup.status}, {time.perf_counter() - start:.1f} s",
            flush=True,
        )
        for n in ns:
            start = time.perf_counter()
            env = prepare(workdir, n, regions)
            generate_s = time.perf_counter() - start
            print(f"\nN={n}: catalogue generated in {generate_s:.1f} s; loading in a fresh process ...", flush=True)
            size = measure(n, env, args.timeout, generate_s, ("--automation",) if args.automation else ())
            sizes.append(size)
            f = size.figures
            print(
                f"  {size.status}, {size.wall_s:.1f} s wall: "
                + ", ".join(f"{k} {v}" for k, v in f.items() if k not in ("errors", "slowest")),
                flush=True,
            )
            if f.get("slowest"):
                print("  slowest evaluations: " + "; ".join(f["slowest"]))
            for problem in f.get("errors", [])[:10]:
                print(f"  error: {problem}")
            if len(f.get("errors", [])) > 10:
                print(f"  ... and {len(f['errors']) - 10} more errors")
            if size.status != "ok":
                print("  last lines of its output:\n" + "\n".join(f"    {line}" for line in size.tail))
        print(
            f"\nScale ({os.cpu_count()} cores; load = import + graph; tick = every schedule once and every sensor "
            f"twice, nothing new; run requests = schedules/sensors):"
        )
        table(sizes)
        if any("automation_s" in s.figures for s in sizes):
            print(
                "\nDeclarative automation, one evaluation of every condition (not in tick s): "
                + "; ".join(
                    f"N={s.n}: {shown(s.figures.get('automation_s'), 2)} s, "
                    f"{shown(s.figures.get('automation_requested'))} requested"
                    for s in sizes
                )
            )
        targets(sizes)
    finally:
        if args.keep:
            print(f"\nkept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
