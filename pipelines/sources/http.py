"""HTTP shared by the url, api and ckan connectors: timeouts, retries with backoff on 5xx, 429 and timeouts,
a size limit (the source's `max_bytes`) enforced while streaming, a body handed on chunk by chunk so a big file
is never held whole in memory, and a body shorter than its declared length refused, so half a file is never
delivered as if complete."""

import json
import socket
import ssl
from collections.abc import Iterator
from http.client import IncompleteRead
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3 import exceptions as urllib3_errors
from urllib3.util.retry import Retry

from pipelines.sources.delivery import SourceError, too_large

USER_AGENT = "satudata-pipeline"


def session(options: dict) -> requests.Session:
    retry = Retry(
        total=int(options.get("retries", 3)),
        backoff_factor=float(options.get("backoff", 0.5)),
        status_forcelist=(429, 500, 502, 503, 504),
        allowed_methods={"GET", "HEAD"},
        respect_retry_after_header=True,
        raise_on_status=False,
    )
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    http.headers["User-Agent"] = USER_AGENT
    return http


def timeout(options: dict) -> float:
    return float(options.get("timeout", 30))


def get(http: requests.Session, url: str, options: dict, **kwargs) -> requests.Response:
    """GET with the source's timeout and retries; a final error names the URL and the cause, never a header."""
    seconds = timeout(options)
    try:
        response = http.get(url, timeout=seconds, stream=True, **kwargs)
    except requests.RequestException as error:
        cause = _cause(error)
        if cause == "timeout":
            raise SourceError(
                f"sumber tidak menjawab dalam batas waktu {seconds:g} detik (timeout): {safe_url(url)}",
                f"source did not answer within its {seconds:g} s timeout: {safe_url(url)}",
            ) from None
        pesan, message = CAUSES.get(cause, ("", type(error).__name__))
        raise SourceError(
            f"sumber tidak dapat dihubungi ({pesan or message}): {safe_url(url)}",
            f"source unreachable ({message}): {safe_url(url)}",
        ) from None
    if response.status_code >= 400:
        response.close()
        raise SourceError(
            f"sumber menjawab HTTP {response.status_code}: {safe_url(url)}",
            f"source answered HTTP {response.status_code}: {safe_url(url)}",
        )
    return response


class Body:
    """A response body read once as a file, in the chunks it arrives in (the archive writes each to disk as it
    comes, so a download of any size is never held whole), refused with SourceError as soon as it passes
    `max_bytes` (declared or while streaming), or when it ends before the length the server declared (a cut
    connection must not pass for a complete, shorter file)."""

    def __init__(self, response: requests.Response, max_bytes: int):
        self._chunks = _checked_chunks(response, max_bytes)

    def read(self, size: int = -1) -> bytes:
        """The next chunk (at most 64 KB, whatever `size` asks), b"" at the end; everything left if size < 0."""
        return b"".join(self._chunks) if size < 0 else next(self._chunks, b"")


def read_limited(response: requests.Response, max_bytes: int) -> bytes:
    """The whole body, with the checks of `Body`: for what must be read whole anyway (an API page's JSON)."""
    return Body(response, max_bytes).read()


def _checked_chunks(response: requests.Response, max_bytes: int) -> Iterator[bytes]:
    url = safe_url(response.url)
    declared = _declared_length(response)
    if declared is not None and declared > max_bytes:
        response.close()
        raise too_large(url, max_bytes, declared)
    size = 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise too_large(url, max_bytes)
            yield chunk
        received = _received(response, size)
    except requests.RequestException as error:
        cause, received = _cause(error), _received(response, size)
        if cause == "timeout":
            raise SourceError(
                f"unduhan berhenti: sumber tidak mengirim data dalam batas waktu (timeout): {url}",
                f"download stalled: the source sent nothing within its timeout: {url}",
            ) from None
        if cause == "truncated" or (declared is not None and received < declared):
            raise _truncated(url, received, declared) from None
        pesan, message = CAUSES.get(cause, ("", type(error).__name__))
        raise SourceError(
            f"unduhan terputus ({pesan or message}): {url}", f"download interrupted ({message}): {url}"
        ) from None
    finally:
        response.close()
    # urllib3 2 refuses a short body by itself; checked here too, so no client version or setting lets one pass.
    if declared is not None and received < declared:
        raise _truncated(url, received, declared)


# What a failed request's exception chain means, in words for agency staff (Bahasa Indonesia, English).
CAUSES = {
    "refused": (
        "koneksi ditolak: server mati atau alamat/port di katalog salah",
        "connection refused: the server is down or the catalogue's address or port is wrong",
    ),
    "dns": ("nama host tidak dikenal: periksa alamat di katalog", "host name not found: check the catalogue's address"),
    "timeout": ("batas waktu habis (timeout)", "timed out"),
    "tls": ("sertifikat/TLS server ditolak", "the server's TLS certificate was refused"),
    "reset": ("koneksi diputus oleh server", "connection reset by the server"),
    "truncated": ("isi berkas terpotong", "the body was cut short"),
}


def _cause(error: BaseException) -> str:
    """requests wraps urllib3, which wraps the socket's error (a refusal even arrives as a subclass of a
    connect *timeout*): walk the whole chain, the most specific causes first."""
    chain, pending = [], [error]
    while pending and len(chain) < 20:  # bounded: a chain is a few links, never a cycle walked forever
        link = pending.pop()
        if link is None or any(link is seen for seen in chain):
            continue
        chain.append(link)
        pending += [
            getattr(link, "reason", None),
            link.__cause__,
            link.__context__,
            *(a for a in getattr(link, "args", ()) if isinstance(a, BaseException)),
        ]

    def found(*kinds) -> bool:
        return any(isinstance(link, kinds) for link in chain)

    if found(ConnectionRefusedError):
        return "refused"
    if found(urllib3_errors.NameResolutionError, socket.gaierror):
        return "dns"
    if found(IncompleteRead) or any("ended prematurely" in str(link) for link in chain):  # short or chunk cut
        return "truncated"
    if found(requests.Timeout, urllib3_errors.ReadTimeoutError, TimeoutError) or any(
        isinstance(link, urllib3_errors.ConnectTimeoutError) and not isinstance(link, urllib3_errors.NewConnectionError)
        for link in chain
    ):
        return "timeout"
    if found(ssl.SSLError, requests.exceptions.SSLError):
        return "tls"
    if found(ConnectionResetError, BrokenPipeError):
        return "reset"
    return ""


def _declared_length(response: requests.Response) -> int | None:
    if "chunked" in response.headers.get("Transfer-Encoding", "").lower():  # then Content-Length means nothing
        return None
    try:
        return int(response.headers["Content-Length"])
    except (KeyError, ValueError):
        return None


def _received(response: requests.Response, decoded: int) -> int:
    """Bytes read off the wire (what Content-Length counts, compressed or not)."""
    try:
        return int(response.raw.tell())
    except (AttributeError, TypeError, ValueError):
        return decoded


def _truncated(url: str, received: int, declared: int | None) -> SourceError:
    if declared is None:  # chunked: the last chunk never came
        return SourceError(
            f"unduhan terpotong: sambungan putus sebelum akhir berkas; berkas tidak diarsipkan: {url}",
            f"download truncated: the connection ended before the end of the file; the file was not archived: {url}",
        )
    dots = lambda n: f"{n:,}".replace(",", ".")  # noqa: E731 (Indonesian thousands separator)
    return SourceError(
        f"unduhan terpotong: diterima {dots(received)} dari {dots(declared)} byte yang dinyatakan"
        f" server (Content-Length); berkas tidak diarsipkan: {url}",
        f"download truncated: received {received:,} of the {declared:,} bytes the server declared"
        f" (Content-Length); the file was not archived: {url}",
    )


def safe_url(url: str) -> str:
    """The URL without user:password, fit for `origin`, logs and messages."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit(parts._replace(netloc=netloc))


def load_memo(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def save_memo(path: Path, value: dict) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, indent=1, default=str), encoding="utf-8")
    partial.replace(path)  # atomic: a crash leaves the old memo, never half of one
