"""HTTP shared by the url, api and ckan connectors: timeouts, retries with backoff on 5xx, 429 and timeouts,
and a size limit enforced while streaming, so an oversized file is never held whole in memory."""

import json
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from pipelines.sources.delivery import SourceError

USER_AGENT = "satudata-pipeline"
DEFAULT_MAX_BYTES = 200 * 1024 * 1024


def session(options: dict) -> requests.Session:
    retry = Retry(total=int(options.get("retries", 3)), backoff_factor=float(options.get("backoff", 0.5)),
                  status_forcelist=(429, 500, 502, 503, 504), allowed_methods={"GET", "HEAD"},
                  respect_retry_after_header=True, raise_on_status=False)
    http = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    http.headers["User-Agent"] = USER_AGENT
    return http


def timeout(options: dict) -> float:
    return float(options.get("timeout", 30))


def get(http: requests.Session, url: str, options: dict, **kwargs) -> requests.Response:
    """GET with the source's timeout and retries; a final error names the URL, never a header."""
    try:
        response = http.get(url, timeout=timeout(options), stream=True, **kwargs)
    except requests.RequestException as error:
        raise SourceError(f"sumber tidak dapat dihubungi: {safe_url(url)}",
                          f"source unreachable: {safe_url(url)} ({type(error).__name__})") from None
    if response.status_code >= 400:
        response.close()
        raise SourceError(f"sumber menjawab HTTP {response.status_code}: {safe_url(url)}",
                          f"source answered HTTP {response.status_code}: {safe_url(url)}")
    return response


def read_limited(response: requests.Response, max_bytes: int) -> bytes:
    """The body, or SourceError as soon as it passes `max_bytes` (declared or while streaming)."""
    too_large = SourceError(f"berkas melebihi batas {max_bytes} byte: {safe_url(response.url)}",
                            f"file exceeds the limit of {max_bytes} bytes: {safe_url(response.url)}")
    if int(response.headers.get("Content-Length") or 0) > max_bytes:
        raise too_large
    chunks, size = [], 0
    try:
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            if size > max_bytes:
                raise too_large
            chunks.append(chunk)
    except requests.RequestException:
        raise SourceError(f"unduhan terputus: {safe_url(response.url)}",
                          f"download interrupted: {safe_url(response.url)}") from None
    finally:
        response.close()
    return b"".join(chunks)


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
