"""An agency's website misbehaving, for real: Diskominfo PPU's public-wifi CSV served by the test's own HTTP
server on 127.0.0.1, the whole pipeline run against the local portal. After each fault, plain re-runs converge:
the portal holds exactly the agency's rows, none lost, none doubled, and nothing half-published meanwhile. Each
case prints its figures (tests/faults/report.py)."""

import hashlib
import shutil
import sys
import time
import uuid
from itertools import count

import ckanapi
import dagster as dg
import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from assets.run import _report
from pipelines import settings
from tests.faults.report import FaultFigures, record
from tests.helpers import market_price_catalogue, point_pipeline_at, purge, run_main_job

sys.path.insert(0, str(settings.PROJECT_ROOT / "demo"))
import agency_data  # noqa: E402

GOOD = agency_data.wifi_csv(agency_data.wifi_rows(agency_data.PPU, 52, 64092))  # 52 points, monthly
ROWS = GOOD.decode("utf-8-sig").strip().count("\n")  # without the header
# The agency's next file: a point more, and the points after the first two thirds drawn anew (changed values,
# months added and gone), so converging means the portal follows it exactly, deletions included.
NEXT = agency_data.wifi_csv(agency_data.wifi_rows(agency_data.PPU, 53, 64092))
HTML_ERROR = (
    b"<!doctype html><html><head><title>Sedang pemeliharaan</title></head>"
    b"<body><h1>Situs sedang dalam pemeliharaan</h1></body></html>"
)
SLOW_S = 2  # the slow source answers after this long, beyond the test catalogue's timeout of 1 s


@pytest.fixture
def httpserver():
    """The agency's website: the test's own server, on 127.0.0.1 only, threaded so that a slow answer blocks
    neither the next try nor the next test; stopped and started again on its port for a source that is down."""
    with HTTPServer(host="127.0.0.1", port=0, threaded=True) as server:
        yield server


@pytest.fixture
def wifi(tmp_path, monkeypatch, isolated_state, services_state, portal_env, httpserver):
    """A catalogue of one regency whose only dataset is the wifi CSV on the test's server, retried at once."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, _ = market_price_catalogue(tmp_path, slug)
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    project = yaml.safe_load((settings.PROJECT_ROOT / "catalogue" / "penajam-paser-utara.yaml").read_text())
    [dataset] = [d for d in project["datasets"] if d["name"] == "wifi-publik"]
    [agency] = [a for a in project["agencies"] if a["slug"] == dataset["agency"]]
    agency["slug"] = dataset["agency"] = f"diskominfo-{slug}"
    dataset["source"] |= {"url": httpserver.url_for("/diskominfo/wifi-publik.csv"), "retries": 0, "timeout": 5}
    dataset["retry"] = {"max_retries": 3, "delay_seconds": 0}
    doc.update(agencies=[agency], datasets=[dataset])
    (catalogue / "ppu.yaml").write_text(yaml.safe_dump(doc))
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    point_pipeline_at(
        monkeypatch, catalogue, portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], tmp_path / "wh.duckdb"
    )
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    yield {
        "slug": slug,
        "ckan": ckan,
        "package": f"{slug}-wifi-publik",
        "server": httpserver,
        "public": ckanapi.RemoteCKAN(portal_env["CKAN_URL"]),  # anonymous: what the public sees
        "state": isolated_state,
        "catalogue": catalogue / "ppu.yaml",
    }
    purge(ckan, [("dataset_purge", f"{slug}-wifi-publik"), ("organization_purge", f"diskominfo-{slug}")])


def published_keys(wifi, as_public: bool = False) -> list[tuple[str, str]]:
    """Every published row's key (the standard's: month and point), as the steward or as anyone sees it."""
    ckan = wifi["public"] if as_public else wifi["ckan"]
    package = ckan.action.package_show(id=wifi["package"])
    [table] = [r for r in package["resources"] if r.get("datastore_active")]
    records = ckan.action.datastore_search(resource_id=table["id"], limit=10 * ROWS)["records"]
    return [(r["bulan"][:10], r["kode_titik"]) for r in records]


def source_keys(data: bytes) -> list[tuple[str, str]]:
    """The keys of the agency's file, as the portal writes them (2026-10-01, WF-6409-001)."""
    rows = [line.split(";") for line in data.decode("utf-8-sig").splitlines()[1:] if line]
    return sorted(("-".join(reversed(row[0].split("/"))), row[1]) for row in rows)


def figures(wifi, case: str, faults: str, public_saw: str, data: bytes, reruns: int) -> FaultFigures:
    """The case's figures against the agency's file, recorded; a case passes when nothing is lost or doubled."""
    keys = published_keys(wifi, as_public=True)
    counted = record(
        FaultFigures(
            case,
            faults,
            public_saw,
            expected=len(source_keys(data)),
            found=len(keys),
            duplicated=len(keys) - len(set(keys)),
            reruns=reruns,
        )
    )
    assert sorted(set(keys)) == source_keys(data)  # and no row of another version beside the file's
    return counted


def serve(wifi, handler) -> None:
    wifi["server"].clear()
    wifi["server"].expect_request("/diskominfo/wifi-publik.csv").respond_with_handler(handler)


def csv_file(data: bytes):
    """The file as a real website serves it: an ETag, and 304 when the client already has that version."""
    etag = f'"{hashlib.sha256(data).hexdigest()[:16]}"'

    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == etag:
            return Response(status=304, headers={"ETag": etag})
        return Response(data, status=200, content_type="text/csv", headers={"ETag": etag})

    return handler


def publish_first(wifi, data: bytes = GOOD) -> tuple[list[tuple[str, str]], str]:
    """The agency's file published once (the version the public holds before the fault): keys, modified."""
    serve(wifi, csv_file(data))
    assert run_main_job().success
    keys = published_keys(wifi, as_public=True)
    assert sorted(keys) == source_keys(data)
    return keys, wifi["public"].action.package_show(id=wifi["package"])["metadata_modified"]


def public_still_sees(wifi, keys: list[tuple[str, str]], modified: str) -> str:
    """During the fault the public holds the previous version whole: same rows, metadata untouched."""
    assert sorted(published_keys(wifi, as_public=True)) == sorted(keys)
    assert wifi["public"].action.package_show(id=wifi["package"])["metadata_modified"] == modified
    return f"the previous version, complete ({len(keys):,} rows)"


def failed_raw_step(result) -> str:
    """The failed run: its raw step failed and nothing after it ran; the cause as the run summary prints it."""
    assert not result.success
    assert [f.step_key for f in result.get_step_failure_events()] == ["wifi_publik__raw"]
    assert not [e for e in result.get_asset_materialization_events() if e.asset_key.path[0] == "wifi_publik"]
    [summary] = [_report(r) for r in result.results]
    [line] = [line for line in summary.splitlines() if "wifi_publik__raw gagal / failed" in line]
    assert "Traceback" not in summary
    cause = line.split("gagal / failed: ", 1)[1]
    assert cause.startswith("sumber") or cause.startswith("unduhan"), cause  # the source's own words, first
    assert " / " in cause  # Bahasa Indonesia / English
    return cause


def attempts(result) -> int:
    """Requests the run's raw step made: the first and each retry the dataset's `retry:` allowed."""
    return 1 + sum(e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY for e in result.all_events)


def rerun_until_converged(wifi, data: bytes, limit: int = 3) -> int:
    """Plain re-runs until the portal holds exactly the file's rows (bounded); how many it took."""
    for reruns in range(1, limit + 1):
        if run_main_job().success and sorted(published_keys(wifi, as_public=True)) == source_keys(data):
            return reruns
    return limit + 1  # never converged: fails the case's `reruns == 1`


def archived(wifi) -> set[str]:
    """The SHA-256 of every file the raw archive holds for the dataset."""
    folder = wifi["state"] / "raw" / wifi["slug"] / "wifi-publik"
    return {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def set_timeout(wifi, seconds: float) -> None:
    doc = yaml.safe_load(wifi["catalogue"].read_text())
    doc["datasets"][0]["source"]["timeout"] = seconds
    wifi["catalogue"].write_text(yaml.safe_dump(doc))


def test_a_web_page_instead_of_the_csv_is_quarantined_and_the_real_file_converges(wifi):
    serve(wifi, lambda request: Response(HTML_ERROR, status=200, content_type="text/html"))
    broken = run_main_job()
    assert not broken.success
    # Quarantined by the standard check, with a finding a clerk reads: which file, which row, what is wrong.
    [check] = [c for c in broken.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    assert not check.passed
    assert check.metadata["examples"].value == (
        "- wifi-publik.csv: berkas ini halaman web (HTML), bukan tabel; kirim tabelnya sendiri sebagai XLSX atau CSV "
        "(Excel: Simpan Sebagai) / this file is a web page (HTML), not a table; send the table itself as XLSX or CSV "
        "(Excel: Save As) [not-a-table]"
    )
    with pytest.raises(ckanapi.NotFound):  # nothing of the page reached the public
        wifi["ckan"].action.package_show(id=wifi["package"])

    serve(wifi, lambda request: Response(GOOD, status=200, content_type="text/csv"))
    reruns = rerun_until_converged(wifi, GOOD)
    case = figures(
        wifi,
        "agency: HTML page with status 200",
        "an HTML maintenance page served with status 200 instead of the CSV, on every request of one run",
        "nothing (no dataset)",
        GOOD,
        reruns,
    )
    assert (case.found, case.lost, case.duplicated, case.reruns) == (ROWS, 0, 0, 1)  # none lost, none doubled


def test_a_flapping_source_answering_one_request_in_three_converges_within_the_run(wifi):
    calls = count(1)
    serve(
        wifi,
        lambda request: (
            Response(GOOD, status=200, content_type="text/csv")
            if next(calls) % 3 == 0
            else Response("sibuk / busy", status=503)
        ),
    )
    result = run_main_job()
    assert result.success
    retries = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert [e.step_key for e in retries] == ["wifi_publik__raw", "wifi_publik__raw"]  # retried, then through
    keys = published_keys(wifi)
    case = figures(
        wifi,
        "agency: flapping",
        "HTTP 503 on two requests of every three, within one run (the step retried twice)",
        "nothing until the run published the file whole",
        GOOD,
        reruns=0,
    )
    assert (case.found, case.lost, case.duplicated) == (ROWS, 0, 0)  # converged within the run: no re-run

    # Yesterday's file again: nothing new, nothing written.
    serve(wifi, lambda request: Response(GOOD, status=200, content_type="text/csv"))
    modified = wifi["ckan"].action.package_show(id=wifi["package"])["metadata_modified"]
    again = run_main_job()
    assert again.success and not [
        e
        for e in again.get_asset_materialization_events()
        if e.asset_key.path[0] == "wifi_publik" and e.asset_key.path[-1] != "raw"
    ]
    assert wifi["ckan"].action.package_show(id=wifi["package"])["metadata_modified"] == modified
    assert sorted(published_keys(wifi)) == sorted(keys)


def test_the_source_down_fails_naming_it_and_one_rerun_converges_once_it_is_back(wifi):
    keys, modified = publish_first(wifi)
    server, url = wifi["server"], wifi["server"].url_for("/diskominfo/wifi-publik.csv")
    server.stop()  # the agency's server down: its port refuses every connection
    serve(wifi, csv_file(NEXT))  # what it serves once back: the next version of the file
    down = run_main_job()
    assert not down.success and not down.only_quarantined  # a source down is a failure, not a quarantine
    cause = failed_raw_step(down)
    assert cause == (
        f"sumber tidak dapat dihubungi (koneksi ditolak: server mati atau alamat/port di katalog "
        f"salah): {url} / source unreachable (connection refused: the server is down or the "
        f"catalogue's address or port is wrong): {url}"
    )
    public = public_still_sees(wifi, keys, modified)
    tries = attempts(down)
    assert tries == 4  # the dataset's retry: 3, for a server coming back within the run

    server.start()  # back, on the same port
    assert server.url_for("/diskominfo/wifi-publik.csv") == url
    reruns = rerun_until_converged(wifi, NEXT)
    case = figures(
        wifi,
        "agency: source down",
        f"the agency's server stopped (connection refused on its port) "
        f"for one run, {tries} attempts, then started again serving the next version",
        public,
        NEXT,
        reruns,
    )
    assert (case.lost, case.duplicated, case.reruns) == (0, 0, 1)


def test_a_source_slower_than_its_timeout_fails_named_as_a_timeout_and_converges(wifi):
    set_timeout(wifi, 1)
    keys, modified = publish_first(wifi)
    answer = csv_file(NEXT)

    def slow(request: Request) -> Response:
        time.sleep(SLOW_S)  # bounded; the server is threaded, so the retries are not queued behind it
        return answer(request)

    serve(wifi, slow)
    started = time.monotonic()
    late = run_main_job()
    cause = failed_raw_step(late)
    url = wifi["server"].url_for("/diskominfo/wifi-publik.csv")
    assert cause == (
        f"sumber tidak menjawab dalam batas waktu 1 detik (timeout): {url} / source did not answer "
        f"within its 1 s timeout: {url}"
    )
    tries, took = attempts(late), time.monotonic() - started
    assert tries == 4 and took < 4 * SLOW_S + 10  # four tries of a second each (and the run's steps), no hang
    public = public_still_sees(wifi, keys, modified)

    serve(wifi, answer)  # answering in time again
    reruns = rerun_until_converged(wifi, NEXT)
    case = figures(
        wifi,
        "agency: slower than the timeout",
        f"every answer {SLOW_S} s late against a timeout of 1 s, {tries} attempts in one run ({took:.0f} s)",
        public,
        NEXT,
        reruns,
    )
    assert (case.lost, case.duplicated, case.reruns) == (0, 0, 1)


def test_a_body_shorter_than_declared_is_never_archived_and_the_full_file_converges(wifi):
    keys, modified = publish_first(wifi)
    half = len(NEXT) // 2

    def truncated(request: Request) -> Response:
        response = Response(NEXT[:half], content_type="text/csv")
        response.headers["Content-Length"] = str(len(NEXT))  # declared whole, sent half, then closed
        return response

    serve(wifi, truncated)
    cut = run_main_job()
    cause = failed_raw_step(cut)
    url = wifi["server"].url_for("/diskominfo/wifi-publik.csv")
    dots = f"diterima {half:,} dari {len(NEXT):,} byte".replace(",", ".")  # Indonesian thousands separator
    assert cause == (
        f"unduhan terpotong: {dots} yang dinyatakan server (Content-Length); berkas tidak diarsipkan: "
        f"{url} / download truncated: received {half:,} of the {len(NEXT):,} bytes the server declared "
        f"(Content-Length); the file was not archived: {url}"
    )
    assert archived(wifi) == {sha(GOOD)}  # half a file is not kept as if the agency had sent it
    tries = attempts(cut)
    public = public_still_sees(wifi, keys, modified)

    serve(wifi, csv_file(NEXT))
    reruns = rerun_until_converged(wifi, NEXT)
    case = figures(
        wifi,
        "agency: truncated body",
        f"the body cut at {half:,} of the {len(NEXT):,} bytes its "
        f"Content-Length declared, connection closed, on all {tries} attempts of one run",
        public,
        NEXT,
        reruns,
    )
    assert (case.lost, case.duplicated, case.reruns) == (0, 0, 1)
    assert archived(wifi) == {sha(GOOD), sha(NEXT)}


def test_a_csv_cut_in_the_middle_of_a_row_is_quarantined_naming_the_row_and_the_full_file_converges(wifi):
    keys, modified = publish_first(wifi)
    row_start = NEXT.index(b"\r\n", len(NEXT) // 2) + 2
    cut_file = NEXT[: row_start + 20]  # the agency's export stopped 20 bytes into a row, served as complete
    row = cut_file.count(b"\r\n") + 1  # the row number a clerk sees in a text editor (the header is row 1)
    serve(wifi, csv_file(cut_file))
    cut = run_main_job()
    assert not cut.success
    [check] = [c for c in cut.get_asset_check_evaluations() if c.check_name == "memenuhi_standar"]
    assert not check.passed
    findings = check.metadata["examples"].value.splitlines()
    assert findings and all(f.startswith(f"- wifi-publik.csv, baris/row {row}, ") for f in findings)  # that row only
    assert any("kolom/column 'status'" in f and "required value is missing" in f for f in findings)
    public = public_still_sees(wifi, keys, modified)

    serve(wifi, csv_file(NEXT))
    reruns = rerun_until_converged(wifi, NEXT)
    case = figures(
        wifi,
        "agency: CSV cut mid-row",
        f"the file cut 20 bytes into row {row} ({len(cut_file):,} of "
        f"{len(NEXT):,} bytes), served whole with status 200, for one run",
        public,
        NEXT,
        reruns,
    )
    assert (case.lost, case.duplicated, case.reruns) == (0, 0, 1)
