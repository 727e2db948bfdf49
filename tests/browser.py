"""Headless Chromium that a test drives as a visitor does: open a page, fill in a form and send it, read the page.

`tests.helpers.rendered` reads a page once; a form needs the same browser across pages (its session cookie and
the form's CSRF token), so this one stays open and is driven over the Chrome DevTools Protocol, on the WebSocket
Chromium opens on 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import requests
from websockets.sync.client import connect

from tests.helpers import CHROMIUM

FILL_AND_SEND = """(function (selector, fields) {
    const form = document.querySelector(selector);
    for (const [name, value] of Object.entries(fields)) { form.elements[name].value = value; }
    form.requestSubmit();
})"""


class Browser:
    def __init__(self, profile: Path, timeout: float = 60):
        self.timeout = timeout
        self.process = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-sync",
                "--disable-background-networking",
                "--disable-component-update",
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        port_file = profile / "DevToolsActivePort"  # Chromium writes the port it chose here
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and port_file.read_text().strip()):
            if time.monotonic() > deadline or self.process.poll() is not None:
                self.close()
                raise RuntimeError("Chromium did not open its DevTools port")
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        [page] = [
            t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"
        ]
        self.socket = connect(page["webSocketDebuggerUrl"], max_size=None)
        self._last_id = 0
        self._events: list[str] = []
        self._send("Page.enable")

    def open(self, url: str) -> str:
        """The page at `url` once loaded: its DOM."""
        self._loading(lambda: self._send("Page.navigate", url=url))
        return self.dom()

    def send_form(self, selector: str, fields: dict[str, str]) -> str:
        """Fill in the form's fields by name and send it as its submit button would; the DOM of the answer, once
        it has replaced the page the form was on (a load event of the page before must not pass for it: the
        next `open` would cut the answer off, a login among them)."""
        self._evaluate("window.__form_page = true")
        self._loading(lambda: self._evaluate(f"{FILL_AND_SEND}({json.dumps(selector)}, {json.dumps(fields)})"))
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                if self._evaluate("window.__form_page !== true && document.readyState === 'complete'"):
                    return self.dom()
            except RuntimeError:  # evaluated while the answer replaced the page
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{selector}: no answer within {self.timeout:g} s")
            time.sleep(0.05)

    def dom(self) -> str:
        return self._evaluate("document.documentElement.outerHTML")

    def url(self) -> str:
        return self._evaluate("location.href")

    def close(self) -> None:
        if getattr(self, "socket", None):
            self.socket.close()
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _loading(self, start) -> None:
        """Run `start`, then wait for the page it leads to to finish loading."""
        self._events.clear()
        start()
        deadline = time.monotonic() + self.timeout
        while "Page.loadEventFired" not in self._events:
            self._events.append(self._receive(deadline).get("method", ""))

    def _evaluate(self, expression: str):
        answer = self._send("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(answer["exceptionDetails"])
        return answer["result"].get("value")

    def _send(self, method: str, **params) -> dict:
        self._last_id += 1
        self.socket.send(json.dumps({"id": self._last_id, "method": method, "params": params}))
        deadline = time.monotonic() + self.timeout
        while True:
            message = self._receive(deadline)
            if message.get("id") == self._last_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message["result"]
            self._events.append(message.get("method", ""))  # an event that came first (a page's load)

    def _receive(self, deadline: float) -> dict:
        return json.loads(self.socket.recv(timeout=max(deadline - time.monotonic(), 0.1)))
