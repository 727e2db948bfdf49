"""Faults with figures: every fault case of `tests/faults/` (real processes on 127.0.0.1: the project's CKAN,
PostgreSQL, the Dagster daemon, agency servers of the tests' own) run once, with one line per case: faults
injected, rows lost and duplicated, re-runs to converge, what the public saw meanwhile. Then load: a change
of every row of a 1,000,000-row table published while 16 loopback clients download the table from the
portal, beside the same publication without load; every download must be complete and one version.

    set -a; . .state/portal/env; set +a; .venv/bin/python bench/fault_bench.py [--rows 1000000] [--clients 16]
        [--skip-cases] [--skip-load]

The load part keeps its warehouse in --workdir (default /tmp/satudata-bench/faults) and publishes the portal
dataset `benchfault-harga-pasar`, purged at the start and the end."""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import ckanapi
import pandas as pd
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.data import DISTRICTS, market_prices, standard  # noqa: E402
from pipelines import warehouse  # noqa: E402
from pipelines.catalogue import Agency, Dataset, Regency, Source  # noqa: E402
from pipelines.publish import ALL_DOWNLOADS, Portal, publish  # noqa: E402
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups  # noqa: E402

SLUG = "benchfault"
PACKAGE = f"{SLUG}-harga-pasar"
PRICE_STEP = 1_000_000  # version k of the table holds every price + k * PRICE_STEP: a download is one version
DOWNLOADS_PER_CLIENT = 200  # bounded: each client downloads until the publication ends (and once after), at most this


def fault_cases() -> list[dict]:
    """Run the fault suite once with its figures appended to a file; return them."""
    with tempfile.NamedTemporaryFile(suffix=".jsonl", delete=False) as report:
        path = report.name
    env = {**os.environ, "SATUDATA_FAULT_REPORT": path}
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/faults"],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    print(
        f"tests/faults: {done.stdout.strip().splitlines()[-1] if done.stdout.strip() else '?'} "
        f"({time.monotonic() - began:.0f} s)"
    )
    if done.returncode:
        print(done.stdout[-4000:])
    figures = [json.loads(line) for line in Path(path).read_text().splitlines()]
    os.unlink(path)
    return figures


def print_cases(figures: list[dict]) -> None:
    print("\n| case | faults injected | rows lost | rows duplicated | re-runs to converge | the public saw |")
    print("|---|---|---:|---:|---:|---|")
    for f in figures:
        print(f"| {f['case']} | {f['faults']} | {f['lost']} | {f['duplicated']} | {f['reruns']} | {f['public_saw']} |")
    lost, doubled = sum(f["lost"] for f in figures), sum(f["duplicated"] for f in figures)
    print(
        f"\n{len(figures)} cases: rows lost {lost} (target 0), duplicated {doubled} (target 0), "
        f"re-runs to converge at most {max((f['reruns'] for f in figures), default=0)} (target 1)"
    )


def target(url: str, token: str):
    agency = Agency(f"disdag-{SLUG}", "Dinas Perdagangan (uji beban)", "Produsen data uji", "disdag@uji.go.id")
    dataset = Dataset("harga-pasar", "harga-pasar/1.0.0", agency, Source("file_drop", {}), {})
    regency = Regency(
        code="64.09",
        slug=SLUG,
        name="Kabupaten Penajam Paser Utara",
        walidata="Diskominfo",
        portal="local",
        timezone="Asia/Makassar",
        agencies=(agency,),
        datasets=(dataset,),
    )
    return regency, dataset, lambda: Portal(url, token)


def purge(admin: ckanapi.RemoteCKAN) -> None:
    for action, name in (("dataset_purge", PACKAGE), ("organization_purge", f"disdag-{SLUG}")):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def download(url: str, folder: Path, name: str) -> tuple[Path, str]:
    """The file and its SHA-256."""
    path, digest = folder / name, hashlib.sha256()
    with requests.get(url, stream=True, timeout=600) as response, path.open("wb") as out:
        response.raise_for_status()
        for block in response.iter_content(1 << 20):
            out.write(block)
            digest.update(block)
    return path, digest.hexdigest()


def one_version(path: Path, rows: int) -> str | None:
    """The version a downloaded table holds, or None when it is incomplete or mixes versions."""
    table = pd.read_csv(path, usecols=["tanggal", "kode_pasar", "komoditas", "harga"], dtype={"harga": "int64"})
    versions = set(table["harga"] // PRICE_STEP)
    whole = len(table) == rows and not table.duplicated(["tanggal", "kode_pasar", "komoditas"]).any()
    return f"v{versions.pop()}" if whole and len(versions) == 1 else None


def load(rows: int, clients: int, workdir: Path) -> None:
    url, token = os.environ["CKAN_URL"], os.environ["CKAN_API_TOKEN"]
    admin, public = ckanapi.RemoteCKAN(url, apikey=token), ckanapi.RemoteCKAN(url)
    purge(admin)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    std = standard()
    regency, dataset, portal = target(url, token)
    engine = warehouse.create_engine(f"duckdb:///{workdir / 'warehouse.duckdb'}")
    frame = market_prices(rows)

    def publish_version(k: int) -> float:
        warehouse.merge(
            engine,
            std,
            frame.assign(harga=frame["harga"] + k * PRICE_STEP),
            regency.code,
            f"v{k}",
            "bench",
            complete=True,
        )
        began = time.monotonic()
        publish(
            portal(),
            regency,
            dataset,
            std,
            warehouse.PublishedTable(engine, std, regency.code),
            {"run_id": f"bench-v{k}"},
            DISTRICTS,
            downloads=ALL_DOWNLOADS,
        )
        return time.monotonic() - began

    # The organisation and pillar groups are the portal administrator's (`satudata portal setup`); the bench
    # publishes with the administrator's token, as the setup would leave them.
    admin_portal = Portal(url, token)
    ensure_pillar_groups(admin_portal)
    ensure_organisation(admin_portal, dataset.agency)
    try:
        first = publish_version(1)
        quiet = publish_version(2)  # a change of every row, nobody downloading
        [table] = [r for r in public.action.package_show(id=PACKAGE)["resources"] if r.get("datastore_active")]
        dump_url = table["url"]  # the CSV the public downloads: the portal's rendering of one version
        done, seen, errors, verdicts = threading.Event(), [], [], {}

        def client(n: int) -> None:
            for i in range(DOWNLOADS_PER_CLIENT):
                last = done.is_set()
                try:
                    path, digest = download(dump_url, workdir, f"client{n}-{i}.csv")
                    if digest not in verdicts:  # read each distinct file once: the clients keep the CPU for load
                        verdicts[digest] = one_version(path, rows)
                    seen.append(verdicts[digest])
                    path.unlink()
                except (requests.RequestException, OSError) as error:
                    errors.append(f"client {n}: {error}")
                if last:
                    return

        threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
        for thread in threads:
            thread.start()
        time.sleep(1)  # the downloads are under way when the publication starts
        loaded = publish_version(3)
        done.set()
        for thread in threads:
            thread.join(timeout=1800)
        print(f"\nLoad, {rows:,} rows, the table's CSV (its resource URL) downloaded by {clients} loopback clients:")
        print(
            f"  first publication {first:.1f} s; change of every row without load {quiet:.1f} s (anchor), "
            f"with {clients} clients downloading {loaded:.1f} s ({loaded / quiet:.1f}x)"
        )
        tally = Counter(v or "incomplete or mixed" for v in seen)
        print(
            f"  downloads: {len(seen)} answered, {len(errors)} refused; what they held: {dict(tally)} "
            f"(target: every one complete, one version)"
        )
        for error in errors[:5]:
            print(f"    {error}")
    finally:
        engine.dispose()
        purge(admin)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "satudata-bench" / "faults")
    parser.add_argument("--skip-cases", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    args = parser.parse_args()
    if not args.skip_cases:
        print_cases(fault_cases())
    if not args.skip_load:
        load(args.rows, args.clients, args.workdir)


if __name__ == "__main__":
    main()
