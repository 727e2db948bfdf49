"""The regency's own face on its portal: title, tagline, logo, colours, about text and contact.

They are configuration (``catalogue/portals.yaml``, ``site:``), checked strictly by the pipeline's catalogue
loader; ``portal/start.sh`` writes the checked block as JSON and names it in ``ckanext.satudata.identity``. So a
regency dresses its portal without code, and a mistyped key stops the start instead of being ignored here.
Texts come in Bahasa Indonesia and English; the page shows the visitor's language.
"""

from __future__ import annotations

import json
import os

import ckan.plugins.toolkit as tk
from flask import Blueprint, abort, send_file

SITE: dict = {}  # the identity of this portal, read once at start

identitas = Blueprint("satudata_identitas", __name__)


def load(path: str) -> dict:
    """The identity in `path` ({} when the portal runs without one: CKAN's own title and look)."""
    SITE.clear()
    if path and os.path.exists(path):
        with open(path, encoding="utf-8") as handle:
            SITE.update(json.load(handle))
    return SITE


def text(value: dict) -> str:
    """A {id, en} text in the visitor's language (Bahasa Indonesia for any other)."""
    return value.get(tk.h.lang()) or value["id"]


@identitas.route("/satudata/logo")
def logo():
    if not SITE.get("logo"):
        abort(404)
    return send_file(SITE["logo"], max_age=3600)
