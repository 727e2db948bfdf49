"""The whole pipeline end to end, as a new user runs it (`python -m assets.run`), on a generated 1,000,000-row
SIHARPA market-price file dropped by an agency, against the running local portal:

  (a) the first publication, (b) the same file again ("nothing new"), (c) the file re-sent with 1% of the
  prices changed (every 100th row), (d) the file re-sent with one more price changed.

Each run is a fresh `python -m assets.run` child process: wall seconds, its peak resident size (GNU time's
maximum RSS: the child, or the largest process it waited for) and, read from the run's Dagster instance, each
step's seconds (STEP_START to STEP_SUCCESS / STEP_FAILURE). Afterwards the published DataStore table is
checked (row count, the changed prices), and anchors are measured in the same run on the same rows: a plain
PostgreSQL `COPY ... FROM STDIN` into a typed, keyed table (database `bench_e2e`, dropped afterwards), one
`datastore_upsert` of the same changed rows into a scratch DataStore table pre-filled with their keys (on a
private scratch dataset, purged afterwards), and a download of the published table through
`/datastore/dump/<resource_id>`. A summary compares the figures with their targets.

    set -a; . .state/portal/env; set +a; .venv/bin/python bench/e2e_bench.py [--rows 1000000] [--workdir DIR] [--keep]

Everything the pipeline reads and writes lives in --workdir (default /tmp/satudata-bench/e2e): the drop folder,
a catalogue folder (SATUDATA_CATALOGUE: the project's pipeline/reference/alerts files, only the `local`
portal target, one regency `benche2e` with only `harga-pasar`, its Data Induk market list) and, emptied at
the start of every bench run, the state (SATUDATA_STATE, with the embedded DuckDB warehouse whatever
SATUDATA_WAREHOUSE_URL says) and the Dagster home (DAGSTER_HOME, an empty dagster.yaml). The Kemendagri
reference tarballs are fetched once into --workdir (npm, not timed) and copied into each fresh state, so the
figures do not carry the npm registry's speed. The portal dataset `benche2e-harga-pasar` is purged before
the first run (a real first publication) and at the end unless --keep.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi
import numpy as np
import pandas as pd
import requests
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.data import AGENCY_COLUMNS, agency_csv, market_prices, references, standard  # noqa: E402

SLUG = "benche2e"
DATASET = "harga-pasar"
PACKAGE = f"{SLUG}-{DATASET}"
SCRATCH_PACKAGE = f"{SLUG}-anchor-upsert"
DROP_FILE = "harga_pasar_siharpa.csv"  # no period in the name: no reported-period rule applies
GNU_TIME = "/usr/bin/time"
RUN_TIMEOUT_S = 1800
TAIL_LINES = 40
MB = 1 << 20
EXCEPTION_LINE = re.compile(r"^[\w.]+(Error|Exception|Failure)(: |$)")
TARGETS = {
    "first": 30.0,
    "one_percent": 10.0,
    "one_percent_steps": 2.0,
    "one_row": 8.0,
    "nothing_new": 5.0,
    "peak_mb": 1.5 * 1024,
}
# package_show keys the portal manages itself (or that would make the scratch copy look published).
PORTAL_MANAGED = {
    "id",
    "name",
    "title",
    "owner_org",
    "organization",
    "private",
    "state",
    "resources",
    "groups",
    "tags",
    "num_resources",
    "num_tags",
    "metadata_created",
    "metadata_modified",
    "creator_user_id",
    "isopen",
    "license_title",
    "license_url",
    "relationships_as_subject",
    "relationships_as_object",
    "satudata_content_sha256",
}
RUNS = {
    "first": "(a) first publication",
    "nothing_new": "(b) same file again",
    "one_percent": "(c) 1% of prices changed",
    "one_row": "(d) one price changed",
}


@dataclass
class Step:
    seconds: float | None  # None: never started (skipped)
    status: str
    retries: list[str] = field(default_factory=list)  # why each retry was needed


@dataclass
class Run:
    label: str
    wall: float
    peak_mb: float | None
    returncode: int | None  # None: killed after RUN_TIMEOUT_S
    output: str
    steps: dict[str, Step] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def step_seconds(self, *suffixes: str) -> float | None:
        found = [s.seconds for name, s in self.steps.items() if name.endswith(suffixes)]
        return sum(found) if found and None not in found else None


# --- setup ---------------------------------------------------------------------------------------------------


def write_drop(frame: pd.DataFrame, drop: Path) -> None:
    """The agency file, written under a name the file drop skips until it is complete."""
    partial = drop / (DROP_FILE + ".partial")
    partial.write_text(agency_csv(frame), encoding="utf-8")
    partial.replace(drop / DROP_FILE)


def write_catalogue(folder: Path, drop: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    project = ROOT / "catalogue"
    for name in ("pipeline.yaml", "reference.yaml", "alerts.yaml"):
        shutil.copy(project / name, folder / name)
    # Only the regency target: province targets would publish the integrated data too.
    portals = yaml.safe_load((project / "portals.yaml").read_text(encoding="utf-8"))
    (folder / "portals.yaml").write_text(yaml.safe_dump({"local": portals["local"]}, sort_keys=False))
    (folder / "data-induk").mkdir(exist_ok=True)
    references()["data-induk-pasar"].to_csv(folder / "data-induk" / f"{SLUG}-pasar.csv", index=False)
    doc = yaml.safe_load((project / "penajam-paser-utara.yaml").read_text(encoding="utf-8"))
    harga = next(d for d in doc["datasets"] if d["name"] == DATASET)
    harga["source"] = {"kind": "file_drop", "path": str(drop), "patterns": ["*.csv"]}
    harga["columns"] = AGENCY_COLUMNS
    doc.pop("api_token_env", None)  # the bench publishes with the portal's token (CKAN_API_TOKEN), not PPU's
    doc["regency"] |= {"code": "64.09", "slug": SLUG, "name": doc["regency"]["name"] + " (bench e2e)"}
    doc["agencies"] = [a for a in doc["agencies"] if a["slug"] == harga["agency"]]
    doc["datasets"] = [harga]
    (folder / f"{SLUG}.yaml").write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8")


def fresh_state(workdir: Path, catalogue: Path) -> tuple[Path, Path]:
    """An empty SATUDATA_STATE (with the reference tarballs) and DAGSTER_HOME."""
    from pipelines.catalogue import load_reference_config
    from pipelines.standard.reference import fetch_npm_tarball

    state, home = workdir / "state", workdir / "dagster"
    for folder in (state, home):
        shutil.rmtree(folder, ignore_errors=True)
    home.mkdir(parents=True)
    (home / "dagster.yaml").write_text("")
    cache = workdir / "reference-cache"
    for source in load_reference_config(catalogue).values():
        fetch_npm_tarball(source["npm_package"], str(source["version"]), source["integrity"], cache)
    shutil.copytree(cache, state / "reference")
    return state, home


def prepare_portal(url: str, token: str, catalogue: Path) -> None:
    """The organisations and pillar groups the portal administrator's `satudata portal setup` makes (not timed)."""
    from pipelines.catalogue import load_regencies
    from pipelines.publish import Portal
    from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups

    admin = Portal(url, token)
    ensure_pillar_groups(admin)
    for agency in load_regencies(catalogue)[0].agencies:
        ensure_organisation(admin, agency)


def purge(ckan: ckanapi.RemoteCKAN, name: str) -> None:
    """The dataset and its DataStore tables (purging a dataset leaves them in the portal's database)."""
    try:
        for resource in ckan.action.package_show(id=name)["resources"]:
            if resource.get("datastore_active"):
                ckan.action.datastore_delete(resource_id=resource["id"], force=True)
        ckan.action.dataset_purge(id=name)
    except ckanapi.NotFound:
        pass


# --- runs ----------------------------------------------------------------------------------------------------


def run_pipeline(label: str, env: dict, rss_file: Path) -> Run:
    """One `python -m assets.run` under GNU time, in its own process group (killed whole on a timeout)."""
    command = [GNU_TIME, "-f", "%M", "-o", str(rss_file), sys.executable, "-m", "assets.run"]
    start = time.perf_counter()
    child = subprocess.Popen(
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
        output, _ = child.communicate(timeout=RUN_TIMEOUT_S)
        returncode = child.returncode
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        output, _ = child.communicate()
        returncode = None
    wall = time.perf_counter() - start
    rss = rss_file.read_text().strip().splitlines() if rss_file.exists() else []
    # GNU time writes "Command exited with non-zero status N" before the figure when the child fails.
    peak = int(rss[-1]) * 1024 / MB if rss and rss[-1].isdigit() else None
    return Run(label, wall, peak, returncode, output)


def step_times(instance, run: Run, seen: set[str]) -> None:
    """Each step's seconds in the instance's newest run, from its first STEP_START to its last end event; none
    when the child died before starting a run (the newest run is then one already `seen`)."""
    runs = instance.get_runs(limit=1)
    if not runs or runs[0].run_id in seen:
        return
    seen.add(runs[0].run_id)
    starts, ends, status = {}, {}, {}
    retries: dict[str, list[str]] = {}
    for entry in instance.all_logs(runs[0].run_id):
        event = entry.dagster_event
        if event is None or not entry.step_key:
            continue
        kind, key = event.event_type_value, entry.step_key
        if kind == "STEP_START":
            starts.setdefault(key, entry.timestamp)
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            ends[key], status[key] = entry.timestamp, kind.removeprefix("STEP_").lower()
        elif kind == "STEP_UP_FOR_RETRY":
            error = event.event_specific_data.error
            error = error.cause or error if error else None  # the policy's own error wraps the step's
            retries.setdefault(key, []).append(error.message.strip().splitlines()[0][:200] if error else "?")
        elif kind == "STEP_SKIPPED":
            status.setdefault(key, "skipped")
    for key in sorted(set(starts) | set(status), key=lambda k: starts.get(k, float("inf"))):
        seconds = ends[key] - starts[key] if key in starts and key in ends else None
        run.steps[key] = Step(seconds, status.get(key, "unfinished"), retries.get(key, []))


def report_run(run: Run) -> None:
    outcome = "ok" if run.ok else ("TIMED OUT" if run.returncode is None else f"FAILED (exit {run.returncode})")
    peak = f"{run.peak_mb:,.0f} MB" if run.peak_mb is not None else "?"
    print(f"\n{run.label}: wall {run.wall:.1f} s, peak RSS {peak}, {outcome}")
    print(f"  {'step':<58} {'seconds':>8}  status")
    for name, step in run.steps.items():
        seconds = f"{step.seconds:8.2f}" if step.seconds is not None else f"{'-':>8}"
        print(
            f"  {name:<58} {seconds}  {step.status}" + (f" after {len(step.retries)} retries" if step.retries else "")
        )
        for reason in dict.fromkeys(step.retries):
            print(f"    retried: {reason}")
    # The in-process executor runs the steps one after another; the rest is start-up and bookkeeping.
    timed = [s.seconds for s in run.steps.values() if s.seconds is not None]
    if timed:
        print(f"  {'outside the steps (imports, definitions, run bookkeeping)':<58} {run.wall - sum(timed):8.2f}")
    lines = run.output.rstrip().splitlines()
    summary = next((n for n, line in enumerate(lines) if line.startswith("Run ")), None)
    if run.ok and summary is not None:
        print("  assets.run said:\n" + "\n".join("    " + line for line in lines[summary:]))
        return
    errors = list(dict.fromkeys(line for line in lines if EXCEPTION_LINE.match(line)))
    print("  errors raised:\n" + "\n".join("    " + line[:300] for line in errors[-8:]))
    print(
        f"  last {min(len(lines), TAIL_LINES)} lines of its output:\n"
        + "\n".join("    " + line for line in lines[-TAIL_LINES:])
    )


# --- checks and anchors --------------------------------------------------------------------------------------


def published_table(ckan: ckanapi.RemoteCKAN) -> dict:
    package = ckan.action.package_show(id=PACKAGE)
    return next(r for r in package["resources"] if r["name"] == f"{DATASET}.csv")


def verify(ckan: ckanapi.RemoteCKAN, frame: pd.DataFrame, changed: np.ndarray) -> list[str]:
    """The DataStore table holds every row, and a sample of the changed keys carries the new price."""
    resource = published_table(ckan)
    total = ckan.action.datastore_search(resource_id=resource["id"], limit=0)["total"]
    findings = [f"DataStore rows {total:,} (expected {len(frame):,}): {'ok' if total == len(frame) else 'WRONG'}"]
    sample = changed[np.linspace(0, len(changed) - 1, min(len(changed), 6)).astype(int)]
    wrong = []
    for row in frame.iloc[sample].itertuples(index=False):
        filters = {
            "tanggal": row.tanggal.strftime("%Y-%m-%d"),
            "kode_pasar": row.kode_pasar,
            "komoditas": row.komoditas,
        }
        found = ckan.action.datastore_search(resource_id=resource["id"], filters=filters)["records"]
        if [int(r["harga"]) for r in found] != [int(row.harga)]:
            wrong.append(f"{filters}: portal {[r['harga'] for r in found]}, expected {row.harga}")
    findings.append(
        f"changed prices on the portal, {len(sample)} keys sampled: "
        + ("ok" if not wrong else "WRONG " + "; ".join(wrong))
    )
    return findings


def public_rows(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[f.name for f in standard().public_fields]]


def copy_anchor(frame: pd.DataFrame, workdir: Path) -> float:
    """PostgreSQL's own bulk load of the same typed rows into a table with the same columns and key."""
    import psycopg

    csv_path = workdir / "copy_anchor.csv"
    public_rows(frame).to_csv(csv_path, index=False, header=False, date_format="%Y-%m-%d")
    url = postgres_url("bench_e2e")
    try:
        with psycopg.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE harga_pasar (tanggal date NOT NULL, kode_kecamatan text, kode_pasar text "
                "NOT NULL, nama_pasar text, komoditas text NOT NULL, satuan text, harga bigint, "
                "PRIMARY KEY (tanggal, kode_pasar, komoditas))"
            )
            connection.commit()
            start = time.perf_counter()
            with cursor.copy("COPY harga_pasar FROM STDIN (FORMAT csv)") as copy, csv_path.open("rb") as source:
                while block := source.read(1 << 20):
                    copy.write(block)
            connection.commit()
            return time.perf_counter() - start
    finally:
        csv_path.unlink(missing_ok=True)
        with psycopg.connect(url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as admin:
            admin.execute("DROP DATABASE IF EXISTS bench_e2e WITH (FORCE)")


def postgres_url(name: str) -> str:
    """The project's cluster (the script creates the database); the bench's own environment, not the runs'."""
    return subprocess.run(
        ["bash", "scripts/postgres.sh", "url", name],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    ).stdout.strip()


def upsert_anchor(ckan: ckanapi.RemoteCKAN, before: pd.DataFrame, after: pd.DataFrame) -> float:
    """One plain `datastore_upsert` of the changed rows into a scratch table that already holds their keys."""
    from pipelines.publish import records
    from pipelines.publish.metadata import datastore_fields

    std = standard()
    # The published dataset's Satu Data metadata satisfies the portal's schema; the scratch copy stays private.
    published = ckan.action.package_show(id=PACKAGE)
    package = {k: v for k, v in published.items() if k not in PORTAL_MANAGED}
    purge(ckan, SCRATCH_PACKAGE)
    scratch = ckan.action.package_create(
        **package,
        name=SCRATCH_PACKAGE,
        title=published["title"] + " (anchor)",
        private=True,
        owner_org=published["owner_org"],
    )
    try:
        table = ckan.action.datastore_create(
            resource={"package_id": scratch["id"], "name": "anchor.csv"},
            fields=datastore_fields(std),
            primary_key=list(std.primary_key),
            records=records(public_rows(before)),
            force=True,
        )
        rows = records(public_rows(after))
        start = time.perf_counter()
        ckan.action.datastore_upsert(resource_id=table["resource_id"], records=rows, method="upsert", force=True)
        return time.perf_counter() - start
    finally:
        purge(ckan, SCRATCH_PACKAGE)


def dump_anchor(ckan: ckanapi.RemoteCKAN, url: str, token: str) -> tuple[float, int, int]:
    """The published table as CSV from the DataStore dump endpoint: seconds, data rows, bytes."""
    resource = published_table(ckan)
    start = time.perf_counter()
    newlines, size, last = 0, 0, b"\n"
    with requests.get(
        f"{url}/datastore/dump/{resource['id']}", headers={"Authorization": token}, stream=True, timeout=600
    ) as response:
        response.raise_for_status()
        for block in response.iter_content(1 << 20):
            newlines, size, last = newlines + block.count(b"\n"), size + len(block), block[-1:]
    seconds = time.perf_counter() - start
    lines = newlines + (last != b"\n")
    return seconds, lines - 1, size


# --- main ----------------------------------------------------------------------------------------------------


def attempt(what: str, work):
    """A failed anchor or check is reported and the bench goes on."""
    try:
        return work()
    except Exception as error:  # noqa: BLE001 (any failure is a finding to print, not a reason to stop)
        print(f"  {what} FAILED: {type(error).__name__}: {str(error).splitlines()[0][:300] if str(error) else ''}")
        return None


def verdict(figure: float | None, target: float, unit: str) -> str:
    shown = "-" if figure is None else f"{figure:,.1f} {unit}"
    met = "not measured" if figure is None else ("met" if figure <= target else "NOT MET")
    return f"{shown:>11}  {f'<= {target:,.0f} {unit}':<12} {met:<12}"


def summary(runs: dict[str, Run], anchors: dict[str, float | None], rows: int, changed: int) -> None:
    def wall(key):
        run = runs.get(key)
        return run.wall if run and run.ok else None

    one_percent = runs.get("one_percent")
    steps = one_percent.step_seconds("__warehouse", "__portal") if one_percent and one_percent.ok else None
    peaks = [r.peak_mb for r in runs.values() if r.peak_mb is not None]
    copy, upsert = anchors.get("copy"), anchors.get("upsert")
    print(f"\nSummary ({rows:,} rows; a failed run counts as not measured):")
    print(f"  {'figure':<44} {'value':>11}  {'target':<12} {'':<12} anchor")
    lines = [
        (
            "first publication, wall",
            verdict(wall("first"), TARGETS["first"], "s"),
            f"COPY of the same rows {copy:.1f} s" if copy else "",
        ),
        (
            f"1% change ({changed:,} rows), wall",
            verdict(wall("one_percent"), TARGETS["one_percent"], "s"),
            f"datastore_upsert of the same rows {upsert:.1f} s" if upsert else "",
        ),
        ("1% change, warehouse + portal steps", verdict(steps, TARGETS["one_percent_steps"], "s"), ""),
        ("one row changed, wall", verdict(wall("one_row"), TARGETS["one_row"], "s"), ""),
        ("nothing new, wall", verdict(wall("nothing_new"), TARGETS["nothing_new"], "s"), ""),
        ("peak RSS, largest of the runs", verdict(max(peaks) if peaks else None, TARGETS["peak_mb"], "MB"), ""),
    ]
    for label, figure, anchor in lines:
        print(f"  {label:<44} {figure} {anchor}".rstrip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/satudata-bench/e2e"))
    parser.add_argument("--keep", action="store_true", help="leave the published dataset on the portal")
    args = parser.parse_args()
    if not (os.environ.get("CKAN_URL") and os.environ.get("CKAN_API_TOKEN")):
        raise SystemExit("CKAN_URL and CKAN_API_TOKEN are not set: set -a; . .state/portal/env; set +a")
    if not Path(GNU_TIME).exists():
        raise SystemExit(f"{GNU_TIME} (GNU time, Debian package `time`) measures each run's peak memory")
    url, token = os.environ["CKAN_URL"].rstrip("/"), os.environ["CKAN_API_TOKEN"]
    ckan = ckanapi.RemoteCKAN(url, apikey=token)
    workdir = args.workdir.resolve()
    drop, catalogue = workdir / "drop", workdir / "catalogue"
    shutil.rmtree(drop, ignore_errors=True)
    drop.mkdir(parents=True)
    write_catalogue(catalogue, drop)
    state, home = fresh_state(workdir, catalogue)
    env = {**os.environ, "SATUDATA_STATE": str(state), "SATUDATA_CATALOGUE": str(catalogue), "DAGSTER_HOME": str(home)}
    env.pop("SATUDATA_WAREHOUSE_URL", None)  # the fresh state's DuckDB, never someone's warehouse
    os.environ["DAGSTER_HOME"] = str(home)  # the bench reads the runs' step events from the same instance
    import dagster as dg

    instance = dg.DagsterInstance.get()

    print(f"generating {args.rows:,} rows ...", flush=True)
    frame = market_prices(args.rows)
    original = frame.copy()
    every_100th = np.arange(0, args.rows, 100)
    single = (args.rows // 2) | 1  # odd, so not one of the every-100th rows
    write_drop(frame, drop)
    print(
        f"drop file {drop / DROP_FILE}: {(drop / DROP_FILE).stat().st_size / 1e6:.1f} MB; portal {url}; "
        f"state {state}; {os.cpu_count()} cores",
        flush=True,
    )
    purge(ckan, PACKAGE)
    prepare_portal(url, token, catalogue)

    runs: dict[str, Run] = {}
    seen: set[str] = set()
    anchors: dict[str, float | None] = {}
    try:
        for key, label in RUNS.items():
            if key == "one_percent":
                frame.loc[every_100th, "harga"] += 50
                write_drop(frame, drop)
            elif key == "one_row":
                frame.loc[single, "harga"] += 50
                write_drop(frame, drop)
            run = run_pipeline(label, env, workdir / "rss.txt")
            attempt("reading the run's steps", lambda: step_times(instance, run, seen))
            report_run(run)
            runs[key] = run

        print("\nChecks:")
        for line in attempt("verification", lambda: verify(ckan, frame, np.append(every_100th, single))) or []:
            print(f"  {line}")
        print("\nAnchors:")
        anchors["copy"] = attempt("COPY anchor", lambda: copy_anchor(frame, workdir))
        if anchors["copy"]:
            print(
                f"  PostgreSQL COPY FROM STDIN, {args.rows:,} rows, typed keyed table: {anchors['copy']:.2f} s "
                f"({args.rows / anchors['copy']:,.0f} rows/s)"
            )
        anchors["upsert"] = attempt(
            "datastore_upsert anchor", lambda: upsert_anchor(ckan, original.iloc[every_100th], frame.iloc[every_100th])
        )
        if anchors["upsert"]:
            print(
                f"  datastore_upsert of the {len(every_100th):,} changed rows (one call, keys present): "
                f"{anchors['upsert']:.2f} s ({len(every_100th) / anchors['upsert']:,.0f} rows/s)"
            )
        dump = attempt("DataStore dump anchor", lambda: dump_anchor(ckan, url, token))
        if dump:
            seconds, rows, size = dump
            print(
                f"  /datastore/dump CSV of the published table: {seconds:.2f} s, {size / 1e6:.1f} MB, "
                f"{rows:,} rows ({'ok' if rows == args.rows else f'expected {args.rows:,}'})"
            )
        summary(runs, anchors, args.rows, len(every_100th))
    finally:
        if not args.keep:
            purge(ckan, PACKAGE)
            print(f"\npurged {PACKAGE} from the portal")
        instance.dispose()


if __name__ == "__main__":
    main()
