"""The cookie that tells the cache in front of the portal (``portal/nginx.conf``) that a browser is signed in.

nginx serves anonymous pages from its cache and must send a signed-in visitor's requests to CKAN. CKAN's own
session cookie cannot tell the two apart: every visitor gets one, for the CSRF token of the page's forms. This
cookie holds no secret and grants nothing: it only routes the browser past the cache, where CKAN checks the
session as always. It lives as long as the session cookie (until the browser closes); with "remember me",
flask-login's own cookie routes the browser past the cache until CKAN sets this one again.
"""

from __future__ import annotations

import ckan.plugins.toolkit as tk
from ckan.common import current_user
from flask import request

COOKIE = "satudata_signed_in"


def mark(response):
    """Set the cookie on a signed-in browser's response, remove it once the browser is signed out."""
    if request.headers.get(tk.config.get("apitoken_header_name") or "Authorization"):
        return response  # a script with an API token: no browser, and never served from the cache anyway
    signed_in = current_user.is_authenticated
    if signed_in and COOKIE not in request.cookies:
        response.set_cookie(
            COOKIE, "1", httponly=True, samesite="Lax", secure=tk.asbool(tk.config.get("SESSION_COOKIE_SECURE"))
        )
    elif not signed_in and COOKIE in request.cookies:
        response.delete_cookie(COOKIE)
    return response
