"""The url and api connectors against a real HTTP server of the tests' own on 127.0.0.1 that serves paged
JSON, fails sometimes (HTTP 500, answers slower than the timeout) and recovers; deliveries streamed into the raw
archive, refused over their source's size cap with nothing archived."""

import hashlib
import json
import logging
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipelines.catalogue import CatalogueError, Source, load_regency
from pipelines.raw import RawArchive
from pipelines.settings import PROJECT_ROOT as ROOT
from pipelines.sources import Delivery, SourceError, pull, settle

CSV = b"Tanggal;Komoditas;Harga (Rp)\n22/10/2026;Beras;Rp 15.500\n"
FAST = {"timeout": 0.5, "retries": 3, "backoff": 0.05}


@pytest.fixture(scope="module")
def running_server():
    """One agency server for the module: stopping a server waits half a second for its thread."""
    with HTTPServer(host="127.0.0.1", port=0, threaded=True) as httpserver:  # threaded: a slow answer blocks nothing
        yield httpserver


@pytest.fixture
def server(running_server):
    """The module's server with no handler, request or failed assertion left from the test before."""
    running_server.clear()
    yield running_server
    running_server.check_assertions()


def _archive_root(memo: Path) -> Path:
    return memo.with_name(memo.name + "-raw")  # beside the memo, as in the state folder


def _pull(kind: str, options: dict, memo) -> list[Delivery]:
    """A pull archived as the raw step does, each delivery as it comes, then merged and published: the source's
    position advances. Each delivery comes back with the bytes the archive kept."""
    archive = RawArchive(_archive_root(memo))
    kept = [archive.store("ppu", "harga-pasar", d.name, d.data, d.origin) for d in pull(Source(kind, options), memo)]
    settle(memo)
    return [Delivery(f.name, Path(f.path).read_bytes(), f.source) for f in kept]


def _slow(seconds: float, response: Response):
    def handler(request: Request) -> Response:
        time.sleep(seconds)
        return response

    return handler


# --- url ---------------------------------------------------------------------------------------------------


def test_url_retries_500_and_timeout_then_delivers(server, tmp_path):
    server.expect_ordered_request("/harga.csv").respond_with_data("rusak", status=500)
    server.expect_ordered_request("/harga.csv").respond_with_handler(_slow(1.5, Response(CSV)))
    server.expect_ordered_request("/harga.csv").respond_with_data(CSV, content_type="text/csv")
    [delivery] = _pull("url", {"url": server.url_for("/harga.csv"), **FAST}, tmp_path)
    assert (delivery.name, delivery.data, delivery.origin) == ("harga.csv", CSV, server.url_for("/harga.csv"))


def test_url_gives_up_after_retries(server, tmp_path):
    server.expect_request("/harga.csv").respond_with_data("rusak", status=503)
    with pytest.raises(SourceError, match="HTTP 503"):
        _pull("url", {"url": server.url_for("/harga.csv"), **FAST, "retries": 2}, tmp_path)
    assert len(server.log) == 3  # the first try and two retries


def test_url_etag_unchanged_file_is_not_delivered_again(server, tmp_path):
    def handler(request: Request) -> Response:
        if request.headers.get("If-None-Match") == '"v1"':
            return Response(status=304)
        return Response(CSV, headers={"ETag": '"v1"'}, content_type="text/csv")

    server.expect_request("/harga").respond_with_handler(handler)
    options = {"url": server.url_for("/harga"), **FAST}
    assert [d.name for d in _pull("url", options, tmp_path)] == ["harga.csv"]  # named from its content type
    assert _pull("url", options, tmp_path) == []
    assert [r.headers.get("If-None-Match") for r, _ in server.log] == [None, '"v1"']


def test_url_last_modified_and_memo_only_after_delivery_was_taken(server, tmp_path):
    stamp = "Wed, 21 Oct 2026 07:28:00 GMT"

    def handler(request: Request) -> Response:
        if request.headers.get("If-Modified-Since") == stamp:
            return Response(status=304)
        return Response(CSV, headers={"Last-Modified": stamp})

    server.expect_request("/harga.csv").respond_with_handler(handler)
    options = {"url": server.url_for("/harga.csv"), **FAST}
    unfinished = pull(Source("url", options), tmp_path)
    next(unfinished)
    unfinished.close()  # as if archiving failed: the file must be fetched again
    assert len(_pull("url", options, tmp_path)) == 1
    assert _pull("url", options, tmp_path) == []


def test_url_size_limit_declared_and_streamed(server, tmp_path):
    server.expect_request("/besar.csv").respond_with_data(b"x" * 5000)
    with pytest.raises(SourceError, match=r"\(5.000 byte\): melebihi batas 1.000 byte"):
        _pull("url", {"url": server.url_for("/besar.csv"), "max_bytes": 1000, **FAST}, tmp_path)
    sent = []

    def endless(request: Request) -> Response:
        def chunks():
            for _ in range(1000):  # bounded: 64 MB at most, the client must stop long before
                sent.append(1)
                yield b"y" * 65536

        return Response(chunks())  # chunked: no Content-Length to trust

    server.expect_request("/stream.csv").respond_with_handler(endless)
    with pytest.raises(SourceError, match="limit of 100,000 bytes"):
        _pull("url", {"url": server.url_for("/stream.csv"), "max_bytes": 100_000, **FAST}, tmp_path)
    assert len(sent) < 1000


def test_url_failures_name_their_cause_refused_or_timeout(server, tmp_path):
    url = server.url_for("/harga.csv")
    server.expect_request("/harga.csv").respond_with_handler(_slow(1.5, Response(CSV)))
    with pytest.raises(SourceError) as late:
        _pull("url", {"url": url, **FAST, "retries": 0}, tmp_path)
    assert str(late.value) == (
        f"sumber tidak menjawab dalam batas waktu 0.5 detik (timeout): {url} / source did not "
        f"answer within its 0.5 s timeout: {url}"
    )
    server.stop()  # nothing listens on the port: refused, which urllib3 reports as a kind of connect timeout
    try:
        with pytest.raises(SourceError, match=r"koneksi ditolak.* / source unreachable \(connection refused"):
            _pull("url", {"url": url, **FAST, "retries": 0}, tmp_path)
    finally:
        server.start()
    assert not (tmp_path / "url.json").exists()  # no position taken from a failed pull


@pytest.mark.parametrize("enforced", [True, False], ids=["urllib3 refuses", "urllib3 lets it pass"])
def test_url_body_shorter_than_declared_is_refused_never_delivered(server, tmp_path, monkeypatch, enforced):
    body = CSV * 2000

    def cut(request: Request) -> Response:
        response = Response(body[:3000])
        response.headers["Content-Length"] = str(len(body))  # declared whole, sent 3000 bytes, connection closed
        return response

    if not enforced:  # as urllib3 1.x (or enforce_content_length=False) reads it: the short body ends quietly
        from urllib3.response import HTTPResponse

        init = HTTPResponse.__init__
        monkeypatch.setattr(
            HTTPResponse, "__init__", lambda self, *a, **k: init(self, *a, **{**k, "enforce_content_length": False})
        )
    server.expect_request("/harga.csv").respond_with_handler(cut)
    with pytest.raises(SourceError, match=f"received 3,000 of the {len(body):,} bytes the server declared"):
        _pull("url", {"url": server.url_for("/harga.csv"), **FAST}, tmp_path)
    assert not (tmp_path / "url.json").exists()
    assert not any(p.is_file() for p in _archive_root(tmp_path).rglob("*"))  # the part received was not kept


def test_url_chunked_body_cut_before_its_last_chunk_is_refused(server, tmp_path):
    def chunks():
        yield CSV * 100
        raise ConnectionAbortedError("the agency's server died mid-file")  # werkzeug then closes, no last chunk

    server.expect_request("/harga.csv").respond_with_handler(lambda request: Response(chunks()))
    with pytest.raises(SourceError, match="download truncated: the connection ended before the end of the file"):
        _pull("url", {"url": server.url_for("/harga.csv"), **FAST}, tmp_path)
    assert not any(p.is_file() for p in _archive_root(tmp_path).rglob("*"))


# --- size cap and streaming into the archive --------------------------------------------------------------


def _wifi_source(folder: Path, url: str, **source) -> Source:
    """The wifi-publik URL source of PPU's catalogue file (copied into `folder`), pointed at `url`, with
    `source` options changed, as the catalogue loader reads it."""
    folder.mkdir(exist_ok=True)
    for path in (ROOT / "catalogue").glob("*.yaml"):
        shutil.copy(path, folder)
    file = folder / "penajam-paser-utara.yaml"
    doc = yaml.safe_load(file.read_text(encoding="utf-8"))
    [entry] = [d for d in doc["datasets"] if d["name"] == "wifi-publik"]
    entry["source"].update(url=url, **FAST, **source)
    file.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    [dataset] = [d for d in load_regency(file).datasets if d.name == "wifi-publik"]
    return dataset.source


def _blocks(count: int, size: int = 64 * 1024):
    """`count` blocks of a body that is not one repeated byte, the same each time it is made."""
    for i in range(count):
        yield i.to_bytes(4, "big") * (size // 4)


def test_the_catalogue_caps_each_source_at_2_gb_unless_it_says_otherwise(tmp_path):
    assert _wifi_source(tmp_path, "http://127.0.0.1:9/x.csv").options["max_bytes"] == 2 * 1024**3
    assert _wifi_source(tmp_path, "http://127.0.0.1:9/x.csv", max_bytes=50_000).options["max_bytes"] == 50_000
    with pytest.raises(CatalogueError, match=r"datasets\[4\]\.source\.max_bytes"):
        _wifi_source(tmp_path, "http://127.0.0.1:9/x.csv", max_bytes="2 GB")


@pytest.mark.parametrize("declared", [True, False], ids=["Content-Length", "chunked"])
def test_a_delivery_over_the_catalogue_cap_is_refused_and_nothing_is_archived(server, tmp_path, declared):
    body = b"".join(_blocks(4))  # 256 KB, over a cap of 100,000 bytes
    response = Response(body) if declared else Response(_blocks(4))
    server.expect_request("/wifi-publik.csv").respond_with_response(response)
    source = _wifi_source(tmp_path / "catalogue", server.url_for("/wifi-publik.csv"), max_bytes=100_000)
    archive, memo = RawArchive(tmp_path / "raw"), tmp_path / "memo"
    with pytest.raises(SourceError) as refused:
        [archive.store("ppu", "wifi-publik", d.name, d.data, d.origin) for d in pull(source, memo)]
    size = f" ({len(body):,} bytes)" if declared else ""
    assert str(refused.value).endswith(
        f"/ delivery too large{size}: over this source's limit of 100,000 bytes (max_bytes in the catalogue); "
        f"nothing was archived; send it split by period or ask the walidata to raise the limit: "
        f"{server.url_for('/wifi-publik.csv')}"
    )
    assert str(refused.value).startswith("kiriman terlalu besar") and refused.value.permanent
    assert [p for p in (tmp_path / "raw").rglob("*") if p.is_file()] == []  # no partial copy, no manifest line
    settle(memo)
    assert not (memo / "url.json").exists()  # refused: the next run asks again


def test_a_delivery_under_the_cap_is_archived_byte_for_byte(server, tmp_path):
    body = b"".join(_blocks(40))  # 2.5 MB, chunked: written to the archive as it arrives
    server.expect_request("/wifi-publik.csv").respond_with_response(Response(_blocks(40)))
    source = _wifi_source(tmp_path / "catalogue", server.url_for("/wifi-publik.csv"), max_bytes=len(body))
    archive = RawArchive(tmp_path / "raw")
    [raw] = [archive.store("ppu", "wifi-publik", d.name, d.data, d.origin) for d in pull(source, tmp_path / "memo")]
    assert (raw.name, raw.size, raw.sha256) == ("wifi-publik.csv", len(body), hashlib.sha256(body).hexdigest())
    assert Path(raw.path).read_bytes() == body
    assert [p.name for p in (tmp_path / "raw").rglob("*") if p.is_file()] == ["manifest.jsonl", "wifi-publik.csv"]


MEASURE = """
import json, resource, sys
from pathlib import Path
from pipelines.catalogue import CatalogueError, Source, load_regency
from pipelines.raw import RawArchive
from pipelines.sources import pull
url, folder = sys.argv[1], Path(sys.argv[2])
peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024   # Linux: kilobytes
before = peak()
[raw] = [RawArchive(folder / "raw").store("ppu", "wifi-publik", d.name, d.data, d.origin)
         for d in pull(Source("url", {"url": url, "timeout": 30}), folder / "memo")]
print(json.dumps({"grew": peak() - before, "size": raw.size, "sha256": raw.sha256}))
"""


def test_a_200_mb_download_is_archived_in_bounded_memory(server, tmp_path):
    count = 200 * 16  # 200 MB in 64 KB blocks, served with its length by this (another) process
    server.expect_request("/besar.csv").respond_with_response(
        Response(_blocks(count), headers={"Content-Length": str(count * 64 * 1024)})
    )
    digest = hashlib.sha256()
    for block in _blocks(count):
        digest.update(block)
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, server.url_for("/besar.csv"), str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    figures = json.loads(measured.stdout)
    assert (figures["size"], figures["sha256"]) == (count * 64 * 1024, digest.hexdigest())
    assert figures["grew"] < 30 * 1024**2, figures  # the peak grew by under 30 MB for 200 MB archived


# --- api ---------------------------------------------------------------------------------------------------

RECORDS = [{"tanggal": f"2026-10-{day:02d}", "harga": 15000 + day} for day in range(1, 6)]


def _paged(request: Request) -> Response:
    page, size = int(request.args["page"]), int(request.args["per_page"])
    return Response(
        json.dumps({"data": RECORDS[(page - 1) * size : page * size], "page": page}), content_type="application/json"
    )


def test_api_pages_with_500_and_timeout_recover(server, tmp_path):
    server.expect_oneshot_request("/api/harga", query_string={"page": "2", "per_page": "2"}).respond_with_data(
        "Internal Server Error", status=500
    )
    server.expect_oneshot_request("/api/harga", query_string={"page": "3", "per_page": "2"}).respond_with_handler(
        _slow(1.5, Response("{}"))
    )
    server.expect_request("/api/harga").respond_with_handler(_paged)
    options = {
        "url": server.url_for("/api/harga"),
        "name": "harga",
        "page_param": "page",
        "page_size_param": "per_page",
        "page_size": 2,
        "min_interval": 0,
        **FAST,
    }
    deliveries = _pull("api", options, tmp_path)
    assert [d.name for d in deliveries] == ["harga-page-0001.json", "harga-page-0002.json", "harga-page-0003.json"]
    assert [r for d in deliveries for r in json.loads(d.data)["data"]] == RECORDS
    assert not server.oneshot_handlers  # the 500 and the slow answer were both served, then asked again
    assert [r.args["page"] for r, _ in server.log].count("2") == 2


def test_api_token_in_header_never_in_origin_or_log(server, tmp_path, monkeypatch, caplog):
    secret = "rahasia-token-123"
    monkeypatch.setenv("SIHARPA_TOKEN", secret)

    def guarded(request: Request) -> Response:
        if request.headers.get("Authorization") != f"Bearer {secret}":
            return Response(json.dumps({"error": "unauthorised"}), status=401)
        offset = int(request.args["offset"])
        return Response(json.dumps({"results": RECORDS[offset : offset + 3]}))

    server.expect_request("/api/v1/harga").respond_with_handler(guarded)
    options = {
        "url": server.url_for("/api/v1/harga"),
        "name": "harga",
        "offset_param": "offset",
        "limit": 3,
        "token_env": "SIHARPA_TOKEN",
        "min_interval": 0,
        **FAST,
    }
    with caplog.at_level(logging.DEBUG):
        deliveries = _pull("api", options, tmp_path)
    assert len(deliveries) == 2 and all(secret not in d.origin for d in deliveries)
    assert secret not in caplog.text
    monkeypatch.delenv("SIHARPA_TOKEN")
    with pytest.raises(SourceError, match="SIHARPA_TOKEN") as failure:
        _pull("api", options, tmp_path)
    assert secret not in str(failure.value)


def test_api_api_key_header_next_links_and_rate_limit(server, tmp_path, monkeypatch):
    monkeypatch.setenv("WIFI_KEY", "kunci")
    seen = []

    def linked(request: Request) -> Response:
        seen.append((time.monotonic(), request.headers.get("X-API-Key")))
        cursor = int(request.args.get("cursor", 0))
        following = f"/api/wifi?cursor={cursor + 2}" if cursor + 2 < len(RECORDS) else None
        return Response(json.dumps({"records": RECORDS[cursor : cursor + 2], "links": {"next": following}}))

    server.expect_request("/api/wifi").respond_with_handler(linked)
    options = {
        "url": server.url_for("/api/wifi"),
        "name": "wifi",
        "next_key": "links.next",
        "token_env": "WIFI_KEY",
        "token_header": "X-API-Key",
        "min_interval": 0.3,
        **FAST,
    }
    deliveries = _pull("api", options, tmp_path)
    assert [d.name for d in deliveries] == ["wifi-page-0001.json", "wifi-page-0002.json", "wifi-page-0003.json"]
    assert deliveries[1].origin.endswith("/api/wifi?cursor=2")
    assert {key for _, key in seen} == {"kunci"}
    gaps = [b[0] - a[0] for a, b in zip(seen, seen[1:])]
    assert min(gaps) >= 0.29


def test_api_next_link_to_another_host_is_refused(server, tmp_path, monkeypatch):
    monkeypatch.setenv("T", "rahasia")
    server.expect_request("/api/x").respond_with_json({"data": [{"a": 1}], "next": "http://203.0.113.9/steal"})
    options = {"url": server.url_for("/api/x"), "token_env": "T", "min_interval": 0, **FAST}
    with pytest.raises(SourceError, match="another host"):
        _pull("api", options, tmp_path)


def test_api_stops_at_max_pages(server, tmp_path):
    server.expect_request("/api/loop").respond_with_json({"data": [{"a": 1}], "next": "/api/loop"})
    with pytest.raises(SourceError, match="more than 3 pages"):
        _pull("api", {"url": server.url_for("/api/loop"), "max_pages": 3, "min_interval": 0, **FAST}, tmp_path)


def test_api_pages_over_the_cap_together_are_refused_before_any_is_archived(server, tmp_path):
    server.expect_request("/api/harga").respond_with_handler(_paged)
    options = {
        "url": server.url_for("/api/harga"),
        "name": "harga",
        "page_param": "page",
        "page_size_param": "per_page",
        "page_size": 2,
        "min_interval": 0,
        **FAST,
    }
    total = sum(len(json.dumps({"data": RECORDS[i : i + 2], "page": i // 2 + 1})) for i in range(0, len(RECORDS), 2))
    with pytest.raises(SourceError, match=f"over this source's limit of {total - 1:,} bytes"):
        _pull("api", {**options, "max_bytes": total - 1}, tmp_path)  # each page is far under it, all 3 are not
    assert not _archive_root(tmp_path).exists()  # not even the first two pages
    assert len(_pull("api", {**options, "max_bytes": total}, tmp_path)) == 3
