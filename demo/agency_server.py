"""The demo agencies' web servers in one process (stdlib http.server, 127.0.0.1 only), serving generated data:

- `/diskominfo-ppu/wifi-publik.csv`   Diskominfo PPU's public-wifi CSV on its website (url; ETag / Last-Modified)
- `/siharpa-paser/harga-harian.json`  SIHARPA Paser's JSON export (url; ETag / Last-Modified)
- `/goppu/api/v1/rekap-layanan`       Go PPU's JSON API, `?page=&per_page=`, `Authorization: Bearer <token>`
- `/ews-lutra/api/v1/tma`             BPBD Luwu Utara's early-warning API, `?offset=&limit=`, `X-API-Key: <token>`

The API tokens are read from GOPPU_API_TOKEN and LUTRA_EWS_API_KEY (the Makefile sets demo-only values); a
request without the right token gets 401. `--fail PREFIX` makes every path under PREFIX answer HTTP 500, to
see that one broken agency leaves the others published.

    python demo/agency_server.py --port 5081 --pidfile .state/demo/agency_server.pid [--fail /goppu]
"""

import argparse
import hashlib
import hmac
import os
import signal
import sys
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agency_data  # noqa: E402

DEFAULT_PORT = 5081
GOPPU_TOKEN_ENV, LUTRA_TOKEN_ENV = "GOPPU_API_TOKEN", "LUTRA_EWS_API_KEY"
# The files were "last changed" at a fixed time, so conditional requests behave the same on every run.
LAST_MODIFIED = formatdate(1793520000, usegmt=True)  # 2026-10-31
MAX_PAGE = 1000


class Content:
    """Everything the servers hand out, generated once at start."""

    def __init__(self):
        self.files = {
            "/diskominfo-ppu/wifi-publik.csv": (
                agency_data.wifi_csv(agency_data.wifi_rows(agency_data.PPU, 52, 64092)),
                "text/csv; charset=utf-8",
            ),
            "/siharpa-paser/harga-harian.json": (
                agency_data.json_bytes({"sumber": "SIHARPA Kabupaten Paser", "data": agency_data.paser_price_rows()}),
                "application/json",
            ),
        }
        self.services = agency_data.service_rows(agency_data.PPU, 64093)
        self.river = agency_data.river_rows()


def _int(query: dict, name: str, default: int) -> int:
    try:
        return int(query.get(name, [default])[0])
    except ValueError:
        return -1


def make_handler(content: Content, fail: tuple[str, ...], tokens: dict[str, str]):
    class Handler(BaseHTTPRequestHandler):
        server_version = "DemoAgency/1.0"

        def log_message(self, fmt, *args):  # one line per request, never a header (tokens live there)
            status = args[1] if len(args) > 1 else ""
            sys.stderr.write(f"{self.log_date_time_string()} {self.command} {self.path} {status}\n")

        def _send(self, status: int, body: bytes, content_type: str = "application/json", headers: dict | None = None):
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, document: object):
            self._send(status, agency_data.json_bytes(document))

        def _authorised(self, header: str, expected: str, bearer: bool) -> bool:
            given = self.headers.get(header, "")
            if bearer:
                given = given[7:] if given.lower().startswith("bearer ") else ""
            return bool(expected) and hmac.compare_digest(given.encode(), expected.encode())

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            url = urlsplit(self.path)
            query = parse_qs(url.query)
            if fail and url.path.startswith(fail):
                return self._json(500, {"error": "Internal Server Error (demo: --fail)"})
            if url.path in content.files:
                body, content_type = content.files[url.path]
                etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
                headers = {"ETag": etag, "Last-Modified": LAST_MODIFIED, "Cache-Control": "no-cache"}
                if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == LAST_MODIFIED
                ):
                    return self._send(304, b"", content_type, headers)
                return self._send(200, body, content_type, headers)
            if url.path == "/goppu/api/v1/rekap-layanan":
                if not self._authorised("Authorization", tokens[GOPPU_TOKEN_ENV], bearer=True):
                    return self._json(401, {"error": "token tidak valid / invalid token"})
                page, size = _int(query, "page", 1), _int(query, "per_page", 100)
                if page < 1 or not 1 <= size <= MAX_PAGE:
                    return self._json(400, {"error": "page >= 1, 1 <= per_page <= 1000"})
                rows = content.services[(page - 1) * size : page * size]
                return self._json(
                    200, {"data": rows, "meta": {"page": page, "per_page": size, "total": len(content.services)}}
                )
            if url.path == "/ews-lutra/api/v1/tma":
                if not self._authorised("X-API-Key", tokens[LUTRA_TOKEN_ENV], bearer=False):
                    return self._json(401, {"error": "API key tidak valid / invalid API key"})
                offset, limit = _int(query, "offset", 0), _int(query, "limit", 500)
                if offset < 0 or not 1 <= limit <= MAX_PAGE:
                    return self._json(400, {"error": "offset >= 0, 1 <= limit <= 1000"})
                return self._json(200, {"records": content.river[offset : offset + limit], "total": len(content.river)})
            return self._json(404, {"error": "tidak ada / not found"})

    return Handler


def serve(port: int, fail: tuple[str, ...] = (), tokens: dict[str, str] | None = None) -> ThreadingHTTPServer:
    """A server bound to 127.0.0.1 (port 0 picks a free one); the caller runs `serve_forever`."""
    tokens = tokens or {name: os.environ.get(name, "") for name in (GOPPU_TOKEN_ENV, LUTRA_TOKEN_ENV)}
    return ThreadingHTTPServer(("127.0.0.1", port), make_handler(Content(), fail, tokens))


def _stop(*_):
    raise KeyboardInterrupt  # SIGTERM (make stop): leave serve_forever and remove the pidfile


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--pidfile", type=Path)
    parser.add_argument("--fail", action="append", default=[], help="path prefix that answers HTTP 500")
    args = parser.parse_args()
    for name in (GOPPU_TOKEN_ENV, LUTRA_TOKEN_ENV):
        if not os.environ.get(name):
            print(f"{name} is not set: its API will refuse every request", file=sys.stderr)
    server = serve(args.port, tuple(args.fail))
    if args.pidfile:
        args.pidfile.parent.mkdir(parents=True, exist_ok=True)
        args.pidfile.write_text(f"{os.getpid()}\n")
    signal.signal(signal.SIGTERM, _stop)
    print(f"demo agency server on http://127.0.0.1:{server.server_port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if args.pidfile and args.pidfile.exists() and args.pidfile.read_text().strip() == str(os.getpid()):
            args.pidfile.unlink()
    return 0


if __name__ == "__main__":
    sys.exit(main())
