"""Visits and downloads per dataset and resource, from CKAN's core ``tracking`` plugin's records.

The ``tracking`` plugin records page views (its script posts each page's path) and clicks on resource links in
``tracking_raw``; ``ckan tracking update`` sums them into ``tracking_summary`` once a day. Two things are added:
- a download is also recorded by the server (``record_download``), so a CSV or XLSX fetched by a script, a
  harvester or a link from elsewhere counts, not only a click on the portal's own button; a fetch with an API
  token (xloader loading an upload, the pipeline) is the portal's own work and does not;
- the page shows counts read from ``tracking_raw`` as they are recorded, counted as ``ckan tracking update``
  counts them (one per visitor per address per day), instead of yesterday's summary.
"""

from __future__ import annotations

import hashlib
import logging

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import model
from ckanext.tracking.model import TrackingRaw
from flask import g, request

log = logging.getLogger(__name__)


def _is_download(endpoint: str | None) -> bool:
    """A route that hands out a resource's file: the DataStore table's CSV and XLSX, or an uploaded file
    (`<dataset type>_resource.download`)."""
    return endpoint is not None and (endpoint.startswith("satudata_unduh.") or endpoint.endswith("resource.download"))


def _visitor() -> str:
    """The same anonymous key as the tracking plugin's, so a click and the download it starts count once."""
    environ = request.environ
    key = "".join(
        [
            environ.get("HTTP_USER_AGENT", ""),
            environ.get("REMOTE_ADDR", ""),
            environ.get("HTTP_ACCEPT_LANGUAGE", ""),
            environ.get("HTTP_ACCEPT_ENCODING", ""),
        ]
    )
    return hashlib.md5(key.encode(), usedforsecurity=False).hexdigest()


def _by_the_public() -> bool:
    """Not the portal's own machinery: xloader fetching an upload to load it, the pipeline comparing a file, each
    with an API token. (A person signed in on the portal has a session, not a token, and counts.)"""
    return not request.headers.get(tk.config.get("apitoken_header_name") or "Authorization")


def record_download(response):
    """After a file was handed out to the public, one `resource` record under the address the page links to."""
    if request.method == "GET" and response.status_code == 200 and _is_download(request.endpoint) and _by_the_public():
        try:
            # The address as the page links to it: resource URLs are built on ckan.site_url.
            url = tk.config.get("ckan.site_url").rstrip("/") + request.path
            TrackingRaw.create(user_key=_visitor(), url=url, tracking_type="resource")
        except Exception:  # a count is never worth a failed download
            model.Session.rollback()
            log.exception("download not counted: %s", request.path)
    return response


COUNT = sa.text("""
    SELECT url, count(DISTINCT user_key || ' ' || access_timestamp::date)
    FROM tracking_raw
    WHERE (tracking_type = 'page' AND url = ANY(:pages)) OR (tracking_type = 'resource' AND url = ANY(:files))
    GROUP BY url""")


def counts(package: dict) -> dict:
    """{'visits': visits of the dataset's page, 'downloads': {resource id: downloads}, 'downloaded': their sum}.

    The dataset page asks once for the dataset and once per resource: one query per dataset and request, the
    answer kept on Flask's ``g`` (which lives as long as the request)."""
    done = g.setdefault("satudata_counts", {})
    if package["id"] not in done:
        done[package["id"]] = _count(package)
    return done[package["id"]]


def _count(package: dict) -> dict:
    name = package["name"]
    # The tracking script records a page in another language with its prefix (/en/dataset/...).
    locales = tk.config.get("ckan.locales_offered") or []
    pages = [f"/dataset/{name}", *(f"/{locale}/dataset/{name}" for locale in locales)]
    files = {r["id"]: r["url"] for r in package.get("resources", []) if r.get("url")}
    found = dict(model.Session.execute(COUNT, {"pages": pages, "files": list(files.values())}).all())
    downloads = {rid: found.get(url, 0) for rid, url in files.items()}
    return {
        "visits": sum(found.get(page, 0) for page in pages),
        "downloads": downloads,
        "downloaded": sum(downloads.values()),
    }


@tk.side_effect_free
def counts_show(context, data_dict):
    """``satudata_counts_show``: a dataset's visits and downloads as its page shows them (`counts`), for the
    compliance scorecard. Whoever may see the dataset may see its counts."""
    package = tk.get_action("package_show")(context, {"id": tk.get_or_bust(data_dict, "id")})
    return _count(package)
