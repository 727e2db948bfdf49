"""Data requests (permintaan data): anyone asks for a dataset the portal does not publish, and the request is
tracked to its answer.

A request gets a number and a public page (``/permintaan/<number>``); its status goes from ``diterima`` (received)
to ``diproses`` (in progress), and ends ``dipenuhi`` (fulfilled, with the dataset that answers it) or ``ditolak``
(refused, with the reason). The walidata answers: a sysadmin, or an editor or admin of a walidata organisation
(``ckanext.satudata.walidata_orgs``, organisation names or patterns; default ``walidata-*``, the organisations
``satudata portal setup`` makes). The requester's name and contact are for the walidata alone: they are never on
a public page, in an answer to anyone else, or in the log.

``satudata_datarequest_list`` is the machine-readable list the next year's Daftar Data and the scorecard read.
The requests live in the portal's own database (``satudata_permintaan``), created at start if missing.
"""

from __future__ import annotations

import fnmatch
import logging
import re

import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckan import authz, model
from flask import Blueprint, request

log = logging.getLogger(__name__)

STATUSES = ("diterima", "diproses", "dipenuhi", "ditolak")
ANSWERS = STATUSES[1:]  # what the walidata may set; diterima is the state of a new request
LIMITS = {"title": 200, "description": 4000, "requester_name": 200, "requester_contact": 200, "reason": 2000}
PER_PAGE = 50
MAX_LIMIT = 1000
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[\d\s().-]{8,20}$")

TABLE = """
CREATE TABLE IF NOT EXISTS satudata_permintaan (
    id serial PRIMARY KEY,                 -- the request's public number
    title text NOT NULL,
    description text NOT NULL,
    requester_name text NOT NULL,          -- private: the walidata's only
    requester_contact text NOT NULL,       -- private: the walidata's only
    status text NOT NULL DEFAULT 'diterima' CHECK (status IN ('diterima', 'diproses', 'dipenuhi', 'ditolak')),
    dataset_id text,                       -- package id of the dataset that fulfils it (dipenuhi)
    reason text,                           -- why it was refused (ditolak)
    answered_by text,                      -- user id of the walidata who set the status last
    created timestamptz NOT NULL DEFAULT now(),
    updated timestamptz NOT NULL DEFAULT now(),
    answered timestamptz                   -- when it was fulfilled or refused
)"""


def create_table() -> None:
    """At every start of every process; the lock keeps the portal's processes from creating it twice at once."""
    with model.meta.engine.begin() as conn:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('satudata_permintaan'))"))
        conn.execute(sa.text(TABLE))


def is_walidata(user_name: str | None) -> bool:
    """A sysadmin, or an editor or admin of an organisation named (or matched) by ckanext.satudata.walidata_orgs."""
    user = model.User.get(user_name) if user_name else None
    if user is None:
        return False
    if authz.is_sysadmin(user.name):
        return True
    patterns = (tk.config.get("ckanext.satudata.walidata_orgs") or "walidata-*").split()
    held = (
        model.Session.query(model.Group.name)
        .join(model.Member, model.Member.group_id == model.Group.id)
        .filter(
            model.Group.is_organization,
            model.Group.state == "active",
            model.Member.state == "active",
            model.Member.table_name == "user",
            model.Member.table_id == user.id,
            model.Member.capacity.in_(["editor", "admin"]),
        )
    )
    return any(fnmatch.fnmatchcase(name, pattern) for (name,) in held for pattern in patterns)


SELECT = """
SELECT r.*, p.name AS dataset_name, p.title AS dataset_title
FROM satudata_permintaan r
LEFT JOIN package p ON p.id = r.dataset_id AND p.state = 'active' AND NOT p.private"""


def _as_dict(row, private: bool) -> dict:
    answer = {
        "id": row.id,
        "title": row.title,
        "description": row.description,
        "status": row.status,
        "dataset": row.dataset_name,
        "dataset_title": row.dataset_title,
        "dataset_url": tk.url_for("dataset.read", id=row.dataset_name, qualified=True) if row.dataset_name else None,
        "reason": row.reason,
        "created": row.created.isoformat(),
        "updated": row.updated.isoformat(),
        "answered": row.answered.isoformat() if row.answered else None,
        "url": tk.url_for("satudata_permintaan.read", number=row.id, qualified=True),
    }
    if private:
        answer.update(requester_name=row.requester_name, requester_contact=row.requester_contact)
    return answer


def _text(data_dict: dict, field: str, errors: dict, required: bool = True) -> str:
    value = str(data_dict.get(field) or "").strip()
    if required and not value:
        errors[field] = [tk._("Missing value")]
    elif len(value) > LIMITS[field]:
        errors[field] = [tk._("At most {limit} characters").format(limit=LIMITS[field])]
    return value


def _number(data_dict: dict) -> int:
    try:
        return int(data_dict.get("id"))
    except (TypeError, ValueError):
        raise tk.ValidationError({"id": [tk._("A request number is required")]})


def _read(number: int):
    row = model.Session.execute(sa.text(SELECT + " WHERE r.id = :id"), {"id": number}).one_or_none()
    if row is None:
        raise tk.ObjectNotFound(tk._("Data request not found"))
    return row


@tk.auth_allow_anonymous_access
def _anyone(context, data_dict):
    return {"success": True}


def _walidata_only(context, data_dict):
    return {"success": is_walidata(context.get("user"))}


def datarequest_create(context, data_dict):
    """A new request, status ``diterima``. Anyone may ask, signed in or not. Takes title, description,
    requester_name, requester_contact (an e-mail address or a phone number); returns the request as the public
    sees it (never the name or contact, not even to the requester): its number is ``id``."""
    tk.check_access("satudata_datarequest_create", context, data_dict)
    errors: dict = {}
    fields = {
        field: _text(data_dict, field, errors)
        for field in ("title", "description", "requester_name", "requester_contact")
    }
    contact = fields["requester_contact"]
    if contact and "requester_contact" not in errors and not (EMAIL.match(contact) or PHONE.match(contact)):
        errors["requester_contact"] = [tk._("Give an e-mail address or a phone number")]
    if errors:
        raise tk.ValidationError(errors)
    number = model.Session.execute(
        sa.text(
            "INSERT INTO satudata_permintaan (title, description, requester_name, requester_contact) "
            "VALUES (:title, :description, :requester_name, :requester_contact) RETURNING id"
        ),
        fields,
    ).scalar()
    model.Session.commit()
    log.info("data request %s received", number)  # never the requester's name or contact
    return _as_dict(_read(number), private=False)


@tk.side_effect_free
def datarequest_show(context, data_dict):
    """One request by its number (``id``); the requester's name and contact only for the walidata."""
    tk.check_access("satudata_datarequest_show", context, data_dict)
    return _as_dict(_read(_number(data_dict)), private=is_walidata(context.get("user")))


@tk.side_effect_free
def datarequest_list(context, data_dict):
    """The requests, newest first: ``{"count": all that match, "results": [...]}``. Filters: ``status`` (one of
    diterima, diproses, dipenuhi, ditolak, or several as a list or comma-separated), ``year`` (of the request,
    UTC); ``limit`` (default and at most 1000) and ``offset``. The requester's name and contact only for the
    walidata."""
    tk.check_access("satudata_datarequest_list", context, data_dict)
    conditions, params = [], {}
    statuses = data_dict.get("status") or []
    if isinstance(statuses, str):
        statuses = [s.strip() for s in statuses.split(",") if s.strip()]
    if statuses:
        if not set(statuses) <= set(STATUSES):
            raise tk.ValidationError({"status": [tk._("One of: {choices}").format(choices=", ".join(STATUSES))]})
        conditions.append("r.status = ANY(:statuses)")
        params["statuses"] = list(statuses)
    try:
        if data_dict.get("year"):
            conditions.append("extract(year FROM r.created AT TIME ZONE 'UTC') = :year")
            params["year"] = int(data_dict["year"])
        limit = min(int(data_dict.get("limit") or MAX_LIMIT), MAX_LIMIT)
        offset = max(int(data_dict.get("offset") or 0), 0)
    except (TypeError, ValueError):
        raise tk.ValidationError({"year": [tk._("year, limit and offset are whole numbers")]})
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    count = model.Session.execute(sa.text(f"SELECT count(*) FROM satudata_permintaan r{where}"), params).scalar()
    rows = model.Session.execute(
        sa.text(f"{SELECT}{where} ORDER BY r.id DESC LIMIT :limit OFFSET :offset"),
        {**params, "limit": limit, "offset": offset},
    ).all()
    private = is_walidata(context.get("user"))
    return {"count": count, "results": [_as_dict(row, private) for row in rows]}


def datarequest_answer(context, data_dict):
    """The walidata's answer to request ``id``: ``status`` diproses, dipenuhi with ``dataset`` (the name or id of
    a public dataset), or ditolak with ``reason``. Returns the request as the walidata sees it."""
    tk.check_access("satudata_datarequest_answer", context, data_dict)
    number = _number(data_dict)
    _read(number)
    status = str(data_dict.get("status") or "")
    errors: dict = {}
    if status not in ANSWERS:
        errors["status"] = [tk._("One of: {choices}").format(choices=", ".join(ANSWERS))]
    dataset_id = reason = None
    if status == "dipenuhi":
        wanted = str(data_dict.get("dataset") or "").strip()
        package = model.Package.get(wanted) if wanted else None
        if package is None or package.state != "active" or package.private:
            errors["dataset"] = [tk._("Name a published, public dataset that fulfils the request")]
        else:
            dataset_id = package.id
    if status == "ditolak":
        reason = _text(data_dict, "reason", errors)
    if errors:
        raise tk.ValidationError(errors)
    user = model.User.get(context.get("user"))
    model.Session.execute(
        sa.text(
            "UPDATE satudata_permintaan SET status = :status, dataset_id = :dataset_id, reason = :reason, "
            "answered_by = :user, updated = now(), "
            "answered = CASE WHEN :status IN ('dipenuhi', 'ditolak') THEN now() END WHERE id = :id"
        ),
        {"status": status, "dataset_id": dataset_id, "reason": reason, "user": user.id if user else None, "id": number},
    )
    model.Session.commit()
    log.info("data request %s: %s", number, status)
    return _as_dict(_read(number), private=True)


ACTIONS = {
    "satudata_datarequest_create": datarequest_create,
    "satudata_datarequest_show": datarequest_show,
    "satudata_datarequest_list": datarequest_list,
    "satudata_datarequest_answer": datarequest_answer,
}
AUTH = {
    "satudata_datarequest_create": _anyone,
    "satudata_datarequest_show": _anyone,
    "satudata_datarequest_list": _anyone,
    "satudata_datarequest_answer": _walidata_only,
}

permintaan = Blueprint("satudata_permintaan", __name__, url_prefix="/permintaan")


@permintaan.route("/")
def index():
    page = request.args.get("page", "1")
    page = int(page) if page.isdigit() and int(page) > 0 else 1
    found = tk.get_action("satudata_datarequest_list")({}, {"limit": PER_PAGE, "offset": (page - 1) * PER_PAGE})
    return tk.render(
        "satudata/permintaan/index.html",
        {"requests": found["results"], "page": page, "more": found["count"] > page * PER_PAGE},
    )


@permintaan.route("/baru", methods=["GET", "POST"])
def new():
    data, errors = {}, {}
    if request.method == "POST":
        data = {
            field: request.form.get(field, "")
            for field in ("title", "description", "requester_name", "requester_contact")
        }
        try:
            made = tk.get_action("satudata_datarequest_create")({}, data)
        except tk.ValidationError as refused:
            errors = refused.error_dict
        else:
            tk.h.flash_success(tk._("Your request is recorded with number {number}.").format(number=made["id"]))
            return tk.redirect_to("satudata_permintaan.read", number=made["id"])
    return tk.render("satudata/permintaan/new.html", {"data": data, "errors": errors})


@permintaan.route("/<int:number>", methods=["GET", "POST"])
def read(number: int):
    """The request's public page; for the walidata also the requester's contact and the answer form."""
    errors, answer = {}, {}
    if request.method == "POST":
        answer = {"id": number, **{field: request.form.get(field, "") for field in ("status", "dataset", "reason")}}
        try:
            tk.get_action("satudata_datarequest_answer")({}, answer)
        except tk.NotAuthorized:
            return tk.abort(403, tk._("Only the walidata answers data requests"))
        except tk.ObjectNotFound:
            return tk.abort(404, tk._("Data request not found"))
        except tk.ValidationError as refused:
            errors = refused.error_dict
        else:
            return tk.redirect_to("satudata_permintaan.read", number=number)
    try:
        shown = tk.get_action("satudata_datarequest_show")({}, {"id": number})
    except tk.ObjectNotFound:
        return tk.abort(404, tk._("Data request not found"))
    return tk.render(
        "satudata/permintaan/read.html",
        {"req": shown, "walidata": is_walidata(tk.g.user), "answer": answer, "errors": errors, "answers": ANSWERS},
    )
