"""The portal under load, beside CKAN's development server in the same run: anonymous readers on loopback.

    set -a; . .state/portal/env; set +a; .venv/bin/python bench/portal_load.py [--rows 100000] [--seconds 10]

Publishes a market-price table (the pipeline's own `publish`; dataset `benchload-harga-pasar`, purged at the
start and the end), starts `ckan run` (the development server, threaded, as the portal ran before gunicorn)
with the same ckan.ini on another loopback port (the portal's + 1), and then, for each server and for 1 and 16
clients, sends each kind of request for a bounded time (every client stops by itself after --seconds): the
dataset page, `package_search`, a DataStore query and the table's CSV download. One line each: requests/s, p50,
p95 and errors. The portal's figures are through its public port, nginx's cache in front of gunicorn
(portal/nginx.conf). Then the price of that cache: the dataset's title is changed through the API and the
anonymous page is read every second until it shows the new title (target: within 60 s). The development server
is stopped by its pid at the end."""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import ckanapi
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.data import DISTRICTS, market_prices, standard  # noqa: E402
from pipelines import settings, warehouse  # noqa: E402
from pipelines.catalogue import Agency, Dataset, Regency, Source  # noqa: E402
from pipelines.publish import ALL_DOWNLOADS, Portal, publish  # noqa: E402
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups  # noqa: E402

SLUG = "benchload"
PACKAGE = f"{SLUG}-harga-pasar"
MAX_REQUESTS_PER_CLIENT = 10_000  # a second bound beside the time


def published_table(url: str, token: str, rows: int, workdir: Path) -> str:
    """The table published as the pipeline publishes it; its resource id."""
    agency = Agency(f"disdag-{SLUG}", "Dinas Perdagangan (uji beban portal)", "Produsen data uji", "disdag@uji.go.id")
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
    admin = Portal(url, token)
    ensure_pillar_groups(admin)
    ensure_organisation(admin, agency)
    std = standard()
    engine = warehouse.create_engine(f"duckdb:///{workdir / 'warehouse.duckdb'}")
    warehouse.merge(engine, std, market_prices(rows), regency.code, "b1", "bench", complete=True)
    publish(
        admin,
        regency,
        dataset,
        std,
        warehouse.PublishedTable(engine, std, regency.code),
        {"run_id": "bench"},
        DISTRICTS,
        downloads=ALL_DOWNLOADS,
    )
    engine.dispose()
    package = ckanapi.RemoteCKAN(url).action.package_show(id=PACKAGE)
    return next(r["id"] for r in package["resources"] if r.get("datastore_active"))


def purge(url: str, token: str) -> None:
    admin = ckanapi.RemoteCKAN(url, apikey=token)
    for action, name in (("dataset_purge", PACKAGE), ("organization_purge", f"disdag-{SLUG}")):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def start_dev_server(port: int, log: Path) -> subprocess.Popen:
    ini = settings.state_dir() / "portal" / "ckan.ini"
    server = subprocess.Popen(
        [
            str(ROOT / "portal" / ".venv" / "bin" / "ckan"),
            "-c",
            str(ini),
            "run",
            "-H",
            "127.0.0.1",
            "-p",
            str(port),
            "--disable-reloader",
            "--threaded",
        ],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(240):
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/3/action/status_show", timeout=5).ok:
                return server
        except requests.RequestException:
            pass
        if server.poll() is not None:
            break
        time.sleep(0.5)
    stop(server)
    raise SystemExit(f"the development server did not start, see {log}")


def stop(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def hammer(url: str, clients: int, seconds: float) -> dict:
    """`clients` threads requesting `url` back to back until `seconds` have passed: rate, p50, p95, errors."""
    times, errors, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def client() -> None:
        with requests.Session() as session:
            for _ in range(MAX_REQUESTS_PER_CLIENT):
                if time.monotonic() >= deadline:
                    return
                began = time.monotonic()
                try:
                    response = session.get(url, timeout=120)
                    ok = response.status_code == 200 and response.content
                except requests.RequestException as error:
                    ok, response = False, error
                with lock:
                    (times if ok else errors).append(time.monotonic() - began)

    began = time.monotonic()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    cuts = statistics.quantiles(times, n=20) if len(times) > 1 else [float("nan")] * 19
    return {"rate": len(times) / elapsed, "p50": cuts[9] * 1000, "p95": cuts[18] * 1000, "errors": len(errors)}


def seconds_until_visible(url: str, token: str) -> float:
    """Seconds from a title change through the API until the anonymous dataset page shows it."""
    page = f"{url}/dataset/{PACKAGE}"
    before = requests.get(page, timeout=60)
    title = f"Harga pasar (diubah {time.strftime('%H:%M:%S')})"
    ckanapi.RemoteCKAN(url, apikey=token).action.package_patch(id=PACKAGE, title=title)
    changed = time.monotonic()
    while title not in requests.get(page, timeout=60).text:
        if time.monotonic() - changed > 120:
            return float("inf")
        time.sleep(1)
    print(f"\nthe page before the change: {before.headers.get('X-Cache-Status', 'not through the cache')}")
    return time.monotonic() - changed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    url, token = os.environ["CKAN_URL"].rstrip("/"), os.environ["CKAN_API_TOKEN"]
    workdir = Path(tempfile.mkdtemp(prefix="satudata-portal-load-"))
    purge(url, token)
    dev = None
    try:
        resource = published_table(url, token, args.rows, workdir)
        dev_port = int(url.rsplit(":", 1)[1]) + 1
        dev = start_dev_server(dev_port, workdir / "dev-server.log")
        paths = {
            "dataset page": f"/dataset/{PACKAGE}",
            "package_search": "/api/3/action/package_search?q=harga&rows=20",
            "DataStore query": f"/api/3/action/datastore_search?resource_id={resource}&limit=100"
            f"&filters=%7B%22komoditas%22%3A%22Beras%20Medium%22%7D",
            f"CSV download ({args.rows:,} rows)": f"/satudata/unduh/{resource}.csv",
        }
        portal = "portal (nginx cache + gunicorn)"
        servers = {"development server (ckan run)": f"http://127.0.0.1:{dev_port}", portal: url}
        print(
            f"{args.seconds:.0f} s per line, anonymous GETs on loopback; machine: {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f} at the start"
        )
        print("| request | clients | server | requests/s | p50 ms | p95 ms | errors |")
        print("|---|---:|---|---:|---:|---:|---:|")
        figures = {}
        for name, path in paths.items():
            for clients in (1, 16):
                for server, base in servers.items():
                    hammer(base + path, 1, 1.0)  # warm: caches, the first rendering of the CSV
                    f = figures[name, clients, server] = hammer(base + path, clients, args.seconds)
                    print(
                        f"| {name} | {clients} | {server} | {f['rate']:.1f} | {f['p50']:.0f} | {f['p95']:.0f} "
                        f"| {f['errors']} |",
                        flush=True,
                    )
        print(
            "\nportal / development server, 16 clients (targets: dataset page >= 10x with p95 <= 300 ms, "
            "package_search and DataStore query >= 2x, 0 errors):"
        )
        for name in paths:
            ratio = figures[name, 16, portal]["rate"] / figures[name, 16, "development server (ckan run)"]["rate"]
            print(f"  {name}: {ratio:.1f}x, p95 {figures[name, 16, portal]['p95']:.0f} ms")
        print(
            f"the new title on the anonymous page after {seconds_until_visible(url, token):.0f} s (target: <= 60 s); "
            f"load average {os.getloadavg()[0]:.1f} at the end"
        )
    finally:
        if dev is not None:
            stop(dev)
        purge(url, token)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
