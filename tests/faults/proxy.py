"""A fault proxy of the test's own: a threading HTTP server on 127.0.0.1 that forwards every request to the
real portal and, while a fault is armed, answers in its place (an HTTP error status, the portal never
reached) or holds the portal's answer back (a slow portal: the work is done, the answer comes late). Only the
pipeline talks through it; the public (the test's anonymous client) reads the portal directly.

A fault starts at the first request of a given action (or at once) and lasts for a number of requests or a
number of seconds; every request is logged with its action and what the proxy did to it."""

import http.client
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

# Not passed on: hop-by-hop headers, and those the proxy sets itself (host, length, date, server).
SKIPPED = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
    "date",
    "server",
}
UPSTREAM_TIMEOUT_S = 120
BODIES = {  # what a gateway or CKAN itself sends with these statuses: a page, not the API's JSON
    500: b"<!doctype html><html><body><h1>Internal Server Error</h1></body></html>",
    503: b"<!doctype html><html><body><h1>503 Service Unavailable</h1><p>Portal sedang sibuk</p></body></html>",
}


@dataclass
class Fault:
    """One misbehaviour of the portal and how long it lasts; `hits` counts the requests it took."""

    status: int | None = None  # answer this instead of forwarding
    delay_s: float = 0.0  # or forward, then hold the answer this long
    starting_at: str | None = None  # the action whose first request starts the fault (None: the next request)
    requests: int | None = None  # the fault lasts this many requests ...
    seconds: float | None = None  # ... or this long from its start
    started: float | None = None
    hits: int = 0
    answers_due: list[float] = field(default_factory=list)  # when each held answer goes out (monotonic)

    def applies(self, action: str, now: float) -> bool:
        if self.started is None:
            if self.starting_at not in (None, action):
                return False
            self.started = now
        if self.requests is not None and self.hits >= self.requests:
            return False
        if self.seconds is not None and now - self.started >= self.seconds:
            return False
        self.hits += 1
        return True

    def over(self, now: float) -> bool:
        return self.started is not None and (
            (self.requests is not None and self.hits >= self.requests)
            or (self.seconds is not None and now - self.started >= self.seconds)
        )


class FaultProxy:
    """`with FaultProxy(portal_url) as proxy:` then `proxy.url` in place of the portal's."""

    def __init__(self, upstream: str):
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname, parts.port or 80)
        self.log: list[tuple[str, str]] = []  # (action, "forwarded" | "HTTP 503" | "held 3 s")
        self.fault: Fault | None = None
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> "FaultProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def fail(self, status: int, **when) -> Fault:
        """Answer `status` without reaching the portal (`when`: starting_at, requests, seconds)."""
        self.fault = Fault(status=status, **when)
        return self.fault

    def slow(self, delay_s: float, **when) -> Fault:
        """Forward to the portal, then hold its answer `delay_s` seconds."""
        self.fault = Fault(delay_s=delay_s, **when)
        return self.fault

    def wait_for(self, condition, limit_s: float = 30) -> None:
        """Until `condition()` holds (bounded)."""
        deadline = time.monotonic() + limit_s
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"not reached after {limit_s} s: {self.fault}, log {self.log}")
            time.sleep(0.05)

    def wait_until_over(self) -> None:
        """Until the armed fault has run its course."""
        self.wait_for(lambda: self.fault is None or self.fault.over(time.monotonic()))

    def actions(self, what: str | None = None) -> list[str]:
        return [action for action, done in self.log if what is None or done == what]

    def _decide(self, action: str) -> Fault | None:
        with self._lock:
            fault = self.fault
            return fault if fault and fault.applies(action, time.monotonic()) else None

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self._serve()

            def do_POST(self):
                self._serve()

            def log_message(self, *args):  # quiet: the proxy's log is `proxy.log`
                pass

            def _serve(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                action = urlsplit(self.path).path.rstrip("/").rsplit("/", 1)[-1]
                fault = proxy._decide(action)
                if fault and fault.status:
                    proxy.log.append((action, f"HTTP {fault.status}"))
                    self._answer(
                        fault.status,
                        [("Content-Type", "text/html"), ("Retry-After", "1")],
                        BODIES.get(fault.status, b""),
                    )
                    return
                status, headers, answer = self._forward(body)
                if fault and fault.delay_s:
                    proxy.log.append((action, f"held {fault.delay_s:g} s"))
                    fault.answers_due.append(time.monotonic() + fault.delay_s)
                    time.sleep(fault.delay_s)
                else:
                    proxy.log.append((action, "forwarded"))
                try:
                    self._answer(status, headers, answer)
                except (BrokenPipeError, ConnectionResetError):  # the client gave up waiting
                    pass

            def _forward(self, body: bytes):
                connection = http.client.HTTPConnection(*proxy.upstream, timeout=UPSTREAM_TIMEOUT_S)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in SKIPPED}
                    connection.request(self.command, self.path, body=body or None, headers=headers)
                    response = connection.getresponse()
                    return (
                        response.status,
                        [(k, v) for k, v in response.getheaders() if k.lower() not in SKIPPED],
                        response.read(),
                    )
                finally:
                    connection.close()

            def _answer(self, status: int, headers: list[tuple[str, str]], body: bytes):
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(body)

        return Handler
