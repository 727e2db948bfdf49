"""``satudata_chart`` and ``satudata_map``: resource views of a DataStore table, a line chart of a time series and
a map of points. The pipeline's publishing step creates them on each table whose Satu Data standard declares them
(``satudata.tampilan``, see ``pipelines/standard/views.py``), with the columns in the view's config, so no
walidata builds a view by hand; a sysadmin may still add or edit one in the web form.

The page carries its data already reduced by PostgreSQL in one query on the DataStore's read-only connection
(a value per time and series, or each distinct point once), not the rows: a river station's hourly levels stay a
few thousand numbers whatever the table's size. Chart.js and Leaflet are installed from npm by the portal's set-up
(``js-packages.txt``, ``portal/js_vendor.sh``) and served by the portal itself. Map tiles come from
``ckanext.satudata.map_tiles`` (OpenStreetMap by default; empty: none); the markers are drawn without them, so a
map shows its points offline too.
"""

from __future__ import annotations

import re
from typing import Any

import ckan.plugins as p
import ckan.plugins.toolkit as tk
import sqlalchemy as sa
from ckanext.datastore.backend.postgres import get_read_engine, identifier

MAX_POINTS = 50_000  # values per chart (a time and series each); more is cut, and the page says so
MAX_MARKERS = 5_000
AGGREGATES = ("avg", "sum")  # a chart's `aggregate`: the SQL function itself, so only these
OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
COLUMN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

ignore_missing = tk.get_validator("ignore_missing")
not_empty = tk.get_validator("not_empty")
default = tk.get_validator("default")
one_of = tk.get_validator("one_of")


def column_name(value: Any) -> str:
    """A DataStore column as the standards name them; anything else never reaches the query."""
    if not isinstance(value, str) or not COLUMN.match(value):
        raise tk.Invalid(tk._("Not a column name"))
    return value


def _columns(resource_id: str) -> dict[str, str]:
    """The table's columns: name -> label from its data dictionary (the standard's title), or the name.
    Checks that the visitor may read the table, as the DataStore's own search does."""
    context = {"user": tk.g.user}
    tk.check_access("datastore_search", context, {"resource_id": resource_id})
    info = tk.get_action("datastore_info")(context, {"id": resource_id})
    return {f["id"]: (f.get("info") or {}).get("label") or f["id"] for f in info["fields"]}


def _query(sql: str, **params) -> list[tuple]:
    with get_read_engine().connect() as conn:
        return [tuple(row) for row in conn.execute(sa.text(sql), params)]


def chart_data(resource_id: str, config: dict) -> dict:
    """Labels (times, in order) and one list of values per series, aligned on the labels (None where a series
    has no value at that time)."""
    columns = _columns(resource_id)
    names = [config.get(k) for k in ("time_column", "hour_column", "value_column", "series_column")]
    missing = [n for n in names if n and n not in columns]
    if missing:
        return {"error": f"Kolom tidak ada di tabel / columns not in the table: {', '.join(missing)}"}
    time, hour, value, series = (identifier(n) if n else None for n in names)
    label = f"to_char({time}, 'YYYY-MM-DD')"
    if hour:  # the hour goes with the date: `2026-09-01 07:00`, which sorts as time does
        label = f"to_char({time} + make_interval(hours => {hour}::int), 'YYYY-MM-DD HH24:MI')"
    series = f"{series}::text" if series else "''"  # no series: one line
    aggregate = config.get("aggregate") or "avg"
    if aggregate not in AGGREGATES:  # the view's schema lets no other in; text never reaches the query
        return {"error": f"Agregasi tidak dikenal / unknown aggregate: {aggregate}"}
    rows = _query(
        f"SELECT {label}, {series}, {aggregate}({value})::float8 "
        f"FROM {identifier(resource_id)} WHERE {time} IS NOT NULL AND {value} IS NOT NULL "
        f"GROUP BY 1, 2 ORDER BY 1, 2 LIMIT :limit",
        limit=MAX_POINTS + 1,
    )
    truncated = len(rows) > MAX_POINTS
    rows = rows[:MAX_POINTS]
    labels = sorted({moment for moment, _, _ in rows})
    position = {moment: i for i, moment in enumerate(labels)}
    values: dict[str, list] = {}
    for moment, name, value in rows:
        values.setdefault(name, [None] * len(labels))[position[moment]] = round(value, 2)
    return {
        "labels": labels,
        "series": [{"name": name, "values": v} for name, v in values.items()],
        "value_label": columns[config["value_column"]],
        "truncated": truncated,
    }


def map_data(resource_id: str, config: dict) -> dict:
    """Each distinct point once (a wifi point reported every month is one marker), with its label."""
    columns = _columns(resource_id)
    names = [config.get(k) for k in ("latitude_column", "longitude_column", "label_column")]
    missing = [n for n in names if n and n not in columns]
    if missing:
        return {"error": f"Kolom tidak ada di tabel / columns not in the table: {', '.join(missing)}"}
    lat, lon, label = (identifier(n) if n else None for n in names)
    label = f"{label}::text" if label else "''"
    rows = _query(
        f"SELECT {lat}::float8, {lon}::float8, {label} "
        f"FROM {identifier(resource_id)} WHERE {lat} BETWEEN -90 AND 90 AND {lon} BETWEEN -180 AND 180 "
        f"GROUP BY 1, 2, 3 ORDER BY 3, 1, 2 LIMIT :limit",
        limit=MAX_MARKERS + 1,
    )
    tiles = tk.config.get("ckanext.satudata.map_tiles", OSM_TILES)
    return {
        "points": [{"lat": lat, "lon": lon, "label": name} for lat, lon, name in rows[:MAX_MARKERS]],
        "truncated": len(rows) > MAX_MARKERS,
        "tiles": tiles,
        "attribution": tk.config.get("ckanext.satudata.map_attribution", OSM_ATTRIBUTION) if tiles else "",
    }


class _TableView(p.SingletonPlugin):
    """What the two views share: their templates and scripts, and a DataStore table to read."""

    p.implements(p.IConfigurer, inherit=True)
    p.implements(p.IResourceView, inherit=True)

    def update_config(self, config):
        tk.add_template_directory(config, "templates")
        tk.add_public_directory(config, "public")

    def can_view(self, data_dict):
        return bool(data_dict["resource"].get("datastore_active"))


class ChartView(_TableView):
    def info(self):
        return {
            "name": "satudata_chart",
            "title": "Grafik / Chart",
            "icon": "chart-line",
            "iframed": True,
            "requires_datastore": True,
            "preview_enabled": False,
            "default_title": "Grafik / Chart",
            "schema": {
                "time_column": [not_empty, column_name],
                "hour_column": [ignore_missing, column_name],
                "value_column": [not_empty, column_name],
                "series_column": [ignore_missing, column_name],
                "aggregate": [default("avg"), one_of(list(AGGREGATES))],
            },
        }

    def setup_template_variables(self, context, data_dict):
        data = chart_data(data_dict["resource"]["id"], data_dict["resource_view"])
        return {"data": data, "empty": not data.get("labels")}

    def view_template(self, context, data_dict):
        return "satudata/views/chart_view.html"

    def form_template(self, context, data_dict):
        return "satudata/views/chart_form.html"


class MapView(_TableView):
    def info(self):
        return {
            "name": "satudata_map",
            "title": "Peta / Map",
            "icon": "map-marker",
            "iframed": True,
            "requires_datastore": True,
            "preview_enabled": False,
            "default_title": "Peta / Map",
            "schema": {
                "latitude_column": [not_empty, column_name],
                "longitude_column": [not_empty, column_name],
                "label_column": [ignore_missing, column_name],
            },
        }

    def setup_template_variables(self, context, data_dict):
        data = map_data(data_dict["resource"]["id"], data_dict["resource_view"])
        return {"data": data, "empty": not data.get("points")}

    def view_template(self, context, data_dict):
        return "satudata/views/map_view.html"

    def form_template(self, context, data_dict):
        return "satudata/views/map_form.html"
