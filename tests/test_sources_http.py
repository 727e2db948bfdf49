"""The url and api connectors against a real HTTP server of the tests' own on 127.0.0.1 that serves paged
JSON, fails sometimes (HTTP 500, answers slower than the timeout) and recovers."""

import json
import logging
import time

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from pipelines.catalogue import Source
from pipelines.sources import SourceError, pull, settle

CSV = b"Tanggal;Komoditas;Harga (Rp)\n22/10/2026;Beras;Rp 15.500\n"
FAST = {"timeout": 0.5, "retries": 3, "backoff": 0.05}


@pytest.fixture
def server():
    with HTTPServer(host="127.0.0.1", port=0, threaded=True) as httpserver:  # threaded: a slow answer blocks nothing
        yield httpserver
        httpserver.check_assertions()


def _pull(kind: str, options: dict, memo) -> list:
    """A pull whose delivery was then merged and published: the source's position advances."""
    delivered = list(pull(Source(kind, options), memo))
    settle(memo)
    return delivered


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
    with pytest.raises(SourceError, match="5000|batas 1000"):
        _pull("url", {"url": server.url_for("/besar.csv"), "max_bytes": 1000, **FAST}, tmp_path)
    sent = []
    def endless(request: Request) -> Response:
        def chunks():
            for _ in range(1000):  # bounded: 64 MB at most, the client must stop long before
                sent.append(1)
                yield b"y" * 65536
        return Response(chunks())  # chunked: no Content-Length to trust
    server.expect_request("/stream.csv").respond_with_handler(endless)
    with pytest.raises(SourceError, match="limit of 100000 bytes"):
        _pull("url", {"url": server.url_for("/stream.csv"), "max_bytes": 100_000, **FAST}, tmp_path)
    assert len(sent) < 1000


def test_url_failures_name_their_cause_refused_or_timeout(server, tmp_path):
    url = server.url_for("/harga.csv")
    server.expect_request("/harga.csv").respond_with_handler(_slow(1.5, Response(CSV)))
    with pytest.raises(SourceError) as late:
        _pull("url", {"url": url, **FAST, "retries": 0}, tmp_path)
    assert str(late.value) == (f"sumber tidak menjawab dalam batas waktu 0.5 detik (timeout): {url} / source did not "
                               f"answer within its 0.5 s timeout: {url}")
    server.stop()   # nothing listens on the port: refused, which urllib3 reports as a kind of connect timeout
    try:
        with pytest.raises(SourceError, match=r"koneksi ditolak.* / source unreachable \(connection refused"):
            _pull("url", {"url": url, **FAST, "retries": 0}, tmp_path)
    finally:
        server.start()
    assert not (tmp_path / "url.json").exists()   # no position taken from a failed pull


@pytest.mark.parametrize("enforced", [True, False], ids=["urllib3 refuses", "urllib3 lets it pass"])
def test_url_body_shorter_than_declared_is_refused_never_delivered(server, tmp_path, monkeypatch, enforced):
    body = CSV * 2000

    def cut(request: Request) -> Response:
        response = Response(body[:3000])
        response.headers["Content-Length"] = str(len(body))   # declared whole, sent 3000 bytes, connection closed
        return response
    if not enforced:   # as urllib3 1.x (or enforce_content_length=False) reads it: the short body ends quietly
        from urllib3.response import HTTPResponse
        init = HTTPResponse.__init__
        monkeypatch.setattr(HTTPResponse, "__init__",
                            lambda self, *a, **k: init(self, *a, **{**k, "enforce_content_length": False}))
    server.expect_request("/harga.csv").respond_with_handler(cut)
    with pytest.raises(SourceError, match=f"received 3,000 of the {len(body):,} bytes the server declared"):
        _pull("url", {"url": server.url_for("/harga.csv"), **FAST}, tmp_path)
    assert not (tmp_path / "url.json").exists()


def test_url_chunked_body_cut_before_its_last_chunk_is_refused(server, tmp_path):
    def chunks():
        yield CSV * 100
        raise ConnectionAbortedError("the agency's server died mid-file")   # werkzeug then closes, no last chunk
    server.expect_request("/harga.csv").respond_with_handler(lambda request: Response(chunks()))
    with pytest.raises(SourceError, match="download truncated: the connection ended before the end of the file"):
        _pull("url", {"url": server.url_for("/harga.csv"), **FAST}, tmp_path)


# --- api ---------------------------------------------------------------------------------------------------

RECORDS = [{"tanggal": f"2026-10-{day:02d}", "harga": 15000 + day} for day in range(1, 6)]


def _paged(request: Request) -> Response:
    page, size = int(request.args["page"]), int(request.args["per_page"])
    return Response(json.dumps({"data": RECORDS[(page - 1) * size:page * size], "page": page}),
                    content_type="application/json")


def test_api_pages_with_500_and_timeout_recover(server, tmp_path):
    server.expect_oneshot_request("/api/harga", query_string={"page": "2", "per_page": "2"})\
        .respond_with_data("Internal Server Error", status=500)
    server.expect_oneshot_request("/api/harga", query_string={"page": "3", "per_page": "2"})\
        .respond_with_handler(_slow(1.5, Response("{}")))
    server.expect_request("/api/harga").respond_with_handler(_paged)
    options = {"url": server.url_for("/api/harga"), "name": "harga", "page_param": "page",
               "page_size_param": "per_page", "page_size": 2, "min_interval": 0, **FAST}
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
        return Response(json.dumps({"results": RECORDS[offset:offset + 3]}))
    server.expect_request("/api/v1/harga").respond_with_handler(guarded)
    options = {"url": server.url_for("/api/v1/harga"), "name": "harga", "offset_param": "offset", "limit": 3,
               "token_env": "SIHARPA_TOKEN", "min_interval": 0, **FAST}
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
        return Response(json.dumps({"records": RECORDS[cursor:cursor + 2], "links": {"next": following}}))
    server.expect_request("/api/wifi").respond_with_handler(linked)
    options = {"url": server.url_for("/api/wifi"), "name": "wifi", "next_key": "links.next",
               "token_env": "WIFI_KEY", "token_header": "X-API-Key", "min_interval": 0.3, **FAST}
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
