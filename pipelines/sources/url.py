"""URL: a CSV, XLSX or JSON file an agency publishes over HTTP(S). Conditional requests (ETag /
Last-Modified kept in the memo) mean an unchanged file is neither downloaded nor delivered again. The file is
handed to the archive as a stream, never read whole; `max_bytes` caps it."""

from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit

from pipelines.sources import http
from pipelines.sources.delivery import Delivery, max_bytes

FORMATS = {
    "text/csv": ".csv",
    "application/json": ".json",
    "application/vnd.ms-excel": ".xls",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
}
SUFFIXES = (".csv", ".tsv", ".txt", ".json", ".xlsx", ".xls", ".xlsm", ".ods")


def _name(options: dict, url: str, content_type: str) -> str:
    name = options.get("name") or PurePosixPath(urlsplit(url).path).name or "unduhan"
    if not name.lower().endswith(SUFFIXES):  # the parser reads the format from the name
        name += FORMATS.get(content_type.split(";")[0].strip().lower(), ".csv")
    return name


def pull(options: dict, memo: Path) -> Iterator[Delivery]:
    url = options["url"]
    memo_file = memo / "url.json"
    seen = http.load_memo(memo_file)
    validators = seen.get(url, {})
    headers = {}
    if validators.get("etag"):
        headers["If-None-Match"] = validators["etag"]
    if validators.get("last_modified"):
        headers["If-Modified-Since"] = validators["last_modified"]
    with http.session(options) as session, http.get(session, url, options, headers=headers) as response:
        if response.status_code == 304:  # unchanged since the last delivery
            return
        # Streamed: the archive writes the body to disk as it arrives.
        yield Delivery(
            _name(options, url, response.headers.get("Content-Type", "")),
            http.Body(response, max_bytes(options)),
            http.safe_url(url),
        )
    # Remembered only once the delivery was taken (archived): if archiving failed, the next run fetches again.
    seen[url] = {"etag": response.headers.get("ETag"), "last_modified": response.headers.get("Last-Modified")}
    http.save_memo(memo_file, seen)
