"""Dataset search answered from CKAN's own PostgreSQL tables instead of Solr.

CKAN builds Solr-style queries (q, fq, sort, rows, start, fl, facet.field) in
many places: package_search, organization/group pages and counts, tag pages,
autocomplete. This module reads that small query language and turns it into
SQL over ``package`` and its related tables, so those callers keep working on a
machine without Solr. It is meant for development, tests and demos; a portal
with Solr simply does not enable the plugin.

Supported query syntax (enough for CKAN's own callers and simple API use):
  clauses separated by spaces, each optionally prefixed by + (must) or - (not);
  ``field:value`` with value ``"quoted"``, ``bare`` (``*`` wildcards allowed),
  ``(a OR b OR "c")`` or a range ``[X TO Y]`` (dates: ISO, ``NOW``,
  ``NOW-7DAYS``, ``*``); ``A OR B`` between clauses; ``*:*`` matches all.
  A clause without a field is a case-insensitive substring search over name,
  title, notes and tag names.
Fields: the package columns (id, name, title, notes, state, owner_org, ...),
dataset_type, capacity, organization, groups, tags, res_format, res_name,
res_url, permission_labels, text, and ``extras_X`` or any other name, which is
looked up in the ``package.extras`` JSONB column.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any, Optional

import ckan.logic as logic
import ckan.model as model
import sqlalchemy as sa
from ckan.lib.search.common import SearchError, SearchQueryError
from ckan.lib.search.index import PackageSearchIndex
from ckan.lib.search.query import PackageSearchQuery

P = model.package_table
G = model.group_table
M = model.member_table
T = model.tag_table
PT = model.package_tag_table
R = model.resource_table

COLUMNS = {c.name: c for c in P.c if c.name not in ("extras", "plugin_data")}
ALIASES = {"dataset_type": "type", "title_string": "title"}
SUBSTRING_FIELDS = {"title", "notes", "name_ngram", "title_ngram", "text"}
SORTABLE = {"metadata_modified", "metadata_created", "name", "title", "title_string"}

# One clause: optional +/-, optional field, then a quoted, grouped, ranged or bare value.
CLAUSE = re.compile(
    r"""
    (?P<occur>[+-])?
    (?:(?P<field>[\w.*-]+):)?
    (?P<value>"(?:[^"\\]|\\.)*"
      | \((?:[^()"]|"(?:[^"\\]|\\.)*")*\)
      | [\[{][^\]}]*[\]}]
      | (?:[^\s\\()"]|\\.)+ )
""",
    re.X,
)
TERM = re.compile(r'"((?:[^"\\]|\\.)*)"|((?:[^\s\\()"]|\\.)+)')
NOW_MATH = re.compile(r"([+-])(\d+)(YEAR|MONTH|DAY|HOUR|MINUTE|SECOND)S?")


def _unescape(s: str) -> str:
    return re.sub(r"\\(.)", r"\1", s)


def _like(value: str, contains: bool) -> str:
    """Turn a Solr term with * / ? wildcards into an ILIKE pattern."""
    v = value.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_")
    v = v.replace("*", "%").replace("?", "_")
    return f"%{v}%" if contains else v


def _date(value: str) -> Optional[dt.datetime]:
    """Solr date bound -> naive UTC datetime (None for an open bound)."""
    value = value.strip()
    if value == "*":
        return None
    if value.startswith("NOW"):
        t = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
        for sign, n, unit in NOW_MATH.findall(value.split("/")[0]):
            n = int(n) * (1 if sign == "+" else -1)
            if unit == "YEAR":
                n, unit = n * 365, "DAY"
            elif unit == "MONTH":
                n, unit = n * 30, "DAY"
            t += dt.timedelta(**{unit.lower() + "s": n})
        return t
    if value.endswith("Z") and re.search(r"[+-]\d\d:?\d\d$", value[:-1]):
        value = value[:-1]  # ckanext-dcat appends Z to an offset it already wrote (+00:00Z)
    try:
        d = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SearchQueryError(f"Cannot read date {value!r}")
    if d.tzinfo:
        d = d.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return d


def _labels_condition(labels: list[str]):
    """CKAN's default permission labels, as SQL (see DefaultPermissionLabels)."""
    conds = []
    by_kind: dict[str, list[str]] = {}
    for label in labels:
        kind, _, ident = label.partition("-")
        if label == "public":
            conds.append(sa.and_(P.c.state == "active", P.c.private.is_(False)))
        else:
            by_kind.setdefault(kind, []).append(ident)
    if by_kind.get("member"):
        conds.append(P.c.owner_org.in_(by_kind["member"]))
    if by_kind.get("creator"):
        conds.append(sa.and_(P.c.owner_org.is_(None), P.c.creator_user_id.in_(by_kind["creator"])))
    if by_kind.get("collaborator"):
        conds.append(P.c.id.in_(by_kind["collaborator"]))
    return sa.or_(*conds) if conds else sa.false()


def _text_match(pattern: str):
    tag_hit = sa.exists().where(
        PT.c.package_id == P.c.id, PT.c.state == "active", PT.c.tag_id == T.c.id, T.c.name.ilike(pattern)
    )
    return sa.or_(P.c.name.ilike(pattern), P.c.title.ilike(pattern), P.c.notes.ilike(pattern), tag_hit)


def _field_condition(field: str, value: str):
    """SQL condition for one ``field:value`` clause (value may be a range or list)."""
    field = ALIASES.get(field, field)
    if value.startswith("(") and value.endswith(")"):
        terms = [_unescape(q if q else b) for q, b in TERM.findall(value[1:-1]) if b not in ("OR", "AND", "||", "&&")]
        return sa.or_(*[_term_condition(field, t) for t in terms]) if terms else sa.false()
    if value[:1] in "[{" and value[-1:] in "]}":
        lo, _, hi = value[1:-1].partition(" TO ")
        col = COLUMNS.get(field)
        if col is None or not isinstance(col.type, sa.DateTime):
            raise SearchQueryError(f"Range queries work only on date fields, not {field!r}")
        conds = []
        lo_d, hi_d = _date(lo), _date(hi)
        if lo_d is not None:
            conds.append(col >= lo_d if value[0] == "[" else col > lo_d)
        if hi_d is not None:
            conds.append(col <= hi_d if value[-1] == "]" else col < hi_d)
        return sa.and_(sa.true(), *conds)
    if value.startswith('"'):
        return _term_condition(field, _unescape(value[1:-1]), quoted=True)
    return _term_condition(field, _unescape(value))


def _term_condition(field: str, term: str, quoted: bool = False):
    wildcard = not quoted and ("*" in term or "?" in term)
    if field in ("site_id", "entity_type") or (field in ("", "*", "text") and term == "*"):
        return sa.true()  # one site, packages only
    if term == "*" and not quoted:
        col = COLUMNS.get(field)
        return col.isnot(None) if col is not None else P.c.extras.has_key(field.removeprefix("extras_"))
    if field == "permission_labels":
        return _labels_condition([term])
    if field == "capacity":
        return P.c.private.is_(term == "private")
    if field in ("text", "name_ngram", "title_ngram") or field == "":
        pattern = _like(term, contains=True)
        if field == "name_ngram":
            return P.c.name.ilike(pattern)
        if field == "title_ngram":
            return P.c.title.ilike(pattern)
        return _text_match(pattern)
    if field == "organization":
        return P.c.owner_org.in_(sa.select(G.c.id).where(G.c.name == term, G.c.is_organization.is_(True)))
    if field == "groups":
        return sa.exists().where(
            M.c.table_id == P.c.id,
            M.c.table_name == "package",
            M.c.state == "active",
            M.c.group_id == G.c.id,
            G.c.is_organization.is_(False),
            G.c.name == term,
        )
    if field == "tags":
        return sa.exists().where(
            PT.c.package_id == P.c.id,
            PT.c.state == "active",
            PT.c.tag_id == T.c.id,
            T.c.vocabulary_id.is_(None),
            T.c.name == term,
        )
    if field.startswith("res_"):
        col = R.c.get(field[4:])
        if col is None:
            raise SearchQueryError(f"Unknown resource field {field!r}")
        match = col.ilike(_like(term, False)) if wildcard else col == term
        return sa.exists().where(R.c.package_id == P.c.id, R.c.state == "active", match)
    col = COLUMNS.get(field)
    if col is None:  # extras_X or X: the extras JSONB
        col = P.c.extras[field.removeprefix("extras_")].astext
    elif isinstance(col.type, sa.Boolean):
        return col.is_(term.lower() == "true")
    elif isinstance(col.type, sa.DateTime):
        return col == _date(term)
    if wildcard:
        return col.ilike(_like(term, False))
    if field in SUBSTRING_FIELDS:  # tokenised text fields in Solr
        return col.ilike(_like(term, True))
    return col == term


def parse(expr: str):
    """Solr-ish query string -> one SQL condition (clauses ANDed, OR joins neighbours)."""
    expr = (expr or "").strip()
    if not expr or expr in ("*:*", '""', "''"):
        return sa.true()
    groups: list[list] = []
    join_next = False
    pos = 0
    while True:
        while pos < len(expr) and expr[pos].isspace():
            pos += 1
        if pos >= len(expr):
            break
        m = CLAUSE.match(expr, pos)
        if not m or m.end() == pos:
            raise SearchQueryError(f"Cannot read query near {expr[pos : pos + 30]!r}")
        pos = m.end()
        field, value, occur = m.group("field"), m.group("value"), m.group("occur")
        if field is None and value in ("OR", "||"):
            join_next = True
            continue
        if field is None and value in ("AND", "&&"):
            continue
        cond = _field_condition(field or "", value)
        if occur == "-":
            cond = sa.not_(cond)
        if join_next and groups:
            groups[-1].append(cond)
        else:
            groups.append([cond])
        join_next = False
    return sa.and_(sa.true(), *[sa.or_(*g) for g in groups])


def _order_by(sort: str) -> list:
    order = []
    for part in (sort or "").split(","):
        bits = part.split()
        if not bits or bits[0] not in SORTABLE:
            continue  # score, views_recent, ...: no equivalent
        col = COLUMNS[ALIASES.get(bits[0], bits[0])]
        if bits[0] in ("title", "title_string"):
            col = sa.func.lower(col)
        desc = len(bits) > 1 and bits[1].lower() == "desc"
        order.append(col.desc() if desc else col.asc())
    return order + [P.c.metadata_modified.desc(), P.c.id]


def _facet(field: str, ids, limit: int, mincount: int) -> dict[str, int]:
    field = ALIASES.get(field, field)
    pkg = P.c.id.in_(sa.select(ids.c.id))
    if field == "organization":
        key, cnt = G.c.name, sa.func.count(P.c.id)
        q = sa.select(key, cnt).select_from(P.join(G, G.c.id == P.c.owner_org)).where(pkg)
    elif field == "groups":
        key, cnt = G.c.name, sa.func.count(sa.distinct(M.c.table_id))
        q = (
            sa.select(key, cnt)
            .select_from(M.join(G, G.c.id == M.c.group_id))
            .where(
                M.c.table_id.in_(sa.select(ids.c.id)),
                M.c.table_name == "package",
                M.c.state == "active",
                G.c.is_organization.is_(False),
            )
        )
    elif field == "tags":
        key, cnt = T.c.name, sa.func.count(sa.distinct(PT.c.package_id))
        q = (
            sa.select(key, cnt)
            .select_from(PT.join(T, T.c.id == PT.c.tag_id))
            .where(PT.c.package_id.in_(sa.select(ids.c.id)), PT.c.state == "active", T.c.vocabulary_id.is_(None))
        )
    elif field.startswith("res_") and R.c.get(field[4:]) is not None:
        key, cnt = R.c.get(field[4:]), sa.func.count(sa.distinct(R.c.package_id))
        q = sa.select(key, cnt).where(R.c.package_id.in_(sa.select(ids.c.id)), R.c.state == "active")
    else:
        key = COLUMNS.get(field)
        if key is None:
            key = P.c.extras[field.removeprefix("extras_")].astext
        cnt = sa.func.count(P.c.id)
        q = sa.select(key, cnt).where(pkg)
    q = q.where(key.isnot(None), sa.cast(key, sa.UnicodeText) != "").group_by(key)
    q = q.having(cnt >= mincount).order_by(cnt.desc(), key)
    if limit >= 0:
        q = q.limit(limit)
    return {str(k): n for k, n in model.Session.execute(q)}


def _package_dicts(pkg_id: str) -> tuple[dict, dict]:
    """(default-schema dict, custom-schema dict): what Solr would have stored."""
    return logic.package_show_default_and_custom_schemas({"ignore_auth": True}, pkg_id)


def _pick(pkg: dict, field: str) -> Any:
    """A Solr-style stored field from a package dict."""
    if field == "organization":
        return (pkg.get("organization") or {}).get("name")
    if field in ("groups", "tags"):
        return [x["name"] for x in pkg.get(field) or []]
    if field.startswith("res_"):
        return [r.get(field[4:]) for r in pkg.get("resources") or []]
    extras = {e["key"]: e["value"] for e in pkg.get("extras") or []}
    if field.startswith("extras_"):
        return extras.get(field[7:])
    return pkg.get(field, extras.get(field))


class PgPackageSearchQuery(PackageSearchQuery):
    """Drop-in for CKAN's PackageSearchQuery, backed by SQL."""

    def get_all_entity_ids(self, max_results: int = 1000) -> list[str]:
        q = sa.select(P.c.id).where(P.c.state == "active").limit(max_results)
        return [r[0] for r in model.Session.execute(q)]

    def get_index(self, reference: str) -> dict[str, Any]:
        # package_show falls back to the database when the "index" has nothing.
        raise SearchError("No search index: datasets are read from the database")

    def run(
        self, query: dict[str, Any], permission_labels: Optional[list[str]] = None, **kwargs: Any
    ) -> dict[str, Any]:
        fq = query.get("fq") or ""
        fqs = ([fq] if isinstance(fq, str) else list(fq)) + list(query.get("fq_list") or [])
        try:
            where = [parse(query.get("q") or "")]
        except SearchQueryError:
            # Free text typed in the search box (unbalanced quotes, ...): plain substring.
            where = [_text_match(_like(query["q"].replace('"', "").strip(), contains=True))]
        where += [parse(f) for f in fqs]
        if not any("+state:" in f or f.lstrip().startswith("state:") for f in fqs):
            where.append(P.c.state == "active")
        if permission_labels is not None:
            where.append(_labels_condition(permission_labels))
        cond = sa.and_(*where)

        rows = int(query.get("rows", 10))
        start = int(query.get("start", 0) or 0)
        self.count = model.Session.execute(sa.select(sa.func.count()).select_from(P).where(cond)).scalar_one()
        ids = [
            r[0]
            for r in model.Session.execute(
                sa.select(P.c.id)
                .where(cond)
                .order_by(*_order_by(query.get("sort", "")))
                .limit(max(rows, 0))
                .offset(start)
            )
        ]

        fl = query.get("fl") or "name"
        fields = [f for f in re.split(r"[\s,]+", fl if isinstance(fl, str) else " ".join(fl)) if f]
        self.results = [self._result(pkg_id, fields) for pkg_id in ids]
        if fl in ("id", "name"):
            self.results = [r[fl] for r in self.results]

        self.facets = {}
        facet_fields = query.get("facet.field") or []
        if isinstance(facet_fields, str):
            facet_fields = json.loads(facet_fields) if facet_fields.startswith("[") else [facet_fields]
        if str(query.get("facet", "true")).lower() != "false" and facet_fields:
            matched = sa.select(P.c.id).where(cond).subquery()
            limit = int(query.get("facet.limit") or 50)
            mincount = int(query.get("facet.mincount") or 1)
            for f in facet_fields:
                self.facets[f] = _facet(f, matched, limit, mincount)
        return {"results": self.results, "count": self.count}

    def _result(self, pkg_id: str, fields: list[str]) -> dict[str, Any]:
        simple = [f for f in fields if f in COLUMNS]
        row = model.Session.execute(sa.select(*[COLUMNS[f] for f in simple]).where(P.c.id == pkg_id)).one()
        out = {f: (v.isoformat() + "Z" if isinstance(v, dt.datetime) else v) for f, v in zip(simple, row)}
        rest = [f for f in fields if f not in COLUMNS]
        if rest:
            default, custom = _package_dicts(pkg_id)
            for f in rest:
                if f == "data_dict":
                    out[f] = json.dumps(default)
                elif f == "validated_data_dict":
                    out[f] = json.dumps(custom)
                elif f == "*":
                    out.update(custom)
                else:
                    out[f] = _pick(custom, f)
        return out


class NoopPackageIndex(PackageSearchIndex):
    """Indexing is a no-op: search reads the database directly."""

    def index_package(self, pkg_dict, defer_commit=False) -> None:
        pass

    def delete_package(self, pkg_dict) -> None:
        pass

    def commit(self) -> None:
        pass

    def clear(self) -> None:
        pass
