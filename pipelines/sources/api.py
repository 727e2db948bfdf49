"""JSON API of an agency app, read page by page; each page is archived as it came (`<name>-page-0001.json`).

Options: `url`; `name`; pagination by `page_param` (with `first_page`, `page_size_param`, `page_size`),
by `offset_param` (with `limit_param`, `limit`), or else by a next link (`next_key`, a dotted path, default
`next`); `params` sent with every request; `token_env` names the environment variable holding the API key
or token, sent in `token_header` (default `Authorization: Bearer ...`) and never in a URL, origin or log;
`min_interval` seconds between requests; `max_pages`; `max_bytes` caps all pages together; plus the HTTP options
of `http.py`."""

import contextlib
import json
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin, urlsplit

from pipelines.parsing import json_records
from pipelines.sources import http
from pipelines.sources.delivery import Delivery, SourceError, max_bytes, too_large


def _auth_headers(options: dict) -> dict:
    variable = options.get("token_env")
    if not variable:
        return {}
    token = os.environ.get(variable)
    if not token:
        raise SourceError(
            f"variabel lingkungan {variable} untuk token API kosong",
            f"environment variable {variable} with the API token is not set",
        )
    header = options.get("token_header", "Authorization")
    return {header: f"Bearer {token}" if header.lower() == "authorization" else token}


def _dig(document: object, path: str) -> object:
    for key in path.split("."):
        document = document.get(key) if isinstance(document, dict) else None
    return document


def _same_origin(a: str, b: str) -> bool:
    return urlsplit(a)[:2] == urlsplit(b)[:2]


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    # Every page is read before any is delivered, each spooled to an unnamed file beside the memo (the state
    # disk, not memory): a failed or oversized later page leaves nothing archived.
    name, limit, size = options.get("name", "api"), max_bytes(options), 0
    with contextlib.ExitStack() as spools:
        pages = []
        for number, data, origin in _pages(options):
            size += len(data)
            if size > limit:
                raise too_large(http.safe_url(options["url"]), limit)
            spool = spools.enter_context(tempfile.TemporaryFile(dir=memo))
            spool.write(data)
            spool.seek(0)
            pages.append(Delivery(f"{name}-page-{number:04d}.json", spool, origin))
        yield from pages


def _pages(options: dict) -> Iterator[tuple[int, bytes, str]]:
    """(number, body, origin) of each page with records, in order."""
    start = options["url"]
    params = dict(options.get("params", {}))
    page_param, offset_param = options.get("page_param"), options.get("offset_param")
    if page_param and options.get("page_size_param"):
        params[options["page_size_param"]] = options["page_size"]
    if offset_param:
        params[options.get("limit_param", "limit")] = options.get("limit", 100)
    page, offset, url = int(options.get("first_page", 1)), 0, start
    interval, last_request = float(options.get("min_interval", 0.5)), float("-inf")
    with http.session(options) as session:
        session.headers.update(_auth_headers(options))
        for number in range(1, int(options.get("max_pages", 1000)) + 1):
            if page_param:
                params[page_param] = page
            if offset_param:
                params[offset_param] = offset
            time.sleep(max(0.0, last_request + interval - time.monotonic()))  # the agency app's rate limit
            last_request = time.monotonic()
            response = http.get(session, url, options, params=params if url == start else None)
            data = http.read_limited(response, max_bytes(options))  # a page is parsed whole
            origin = http.safe_url(response.url)
            try:
                document = json.loads(data)
            except ValueError:
                raise SourceError(
                    f"halaman {number} bukan JSON: {origin}", f"page {number} is not JSON: {origin}"
                ) from None
            records = json_records(document)
            if records is None:
                raise SourceError(
                    f"halaman {number} tanpa daftar data (data/results/records): {origin}",
                    f"page {number} has no list of records (data/results/records): {origin}",
                )
            if not records:
                return
            yield number, data, origin
            if page_param:
                page += 1
                if options.get("page_size") and len(records) < int(options["page_size"]):
                    return
            elif offset_param:
                offset += len(records)
                if len(records) < int(options.get("limit", 100)):
                    return
            else:
                link = _dig(document, options.get("next_key", "next")) if isinstance(document, dict) else None
                if not link:
                    return
                url = urljoin(response.url, link)
                if not _same_origin(url, start):  # the token is never sent to another host
                    raise SourceError(
                        f"tautan halaman berikut ke host lain ditolak: {http.safe_url(url)}",
                        f"next link to another host refused: {http.safe_url(url)}",
                    )
    raise SourceError(
        f"lebih dari {options.get('max_pages', 1000)} halaman: {http.safe_url(start)}",
        f"more than {options.get('max_pages', 1000)} pages: {http.safe_url(start)}",
    )
