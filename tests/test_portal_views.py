"""Charts and maps on the local portal, declared by the standards (`satudata.tampilan`) and put on each published
table by the publishing step: headless Chromium (Debian's package) opens each view as the resource page frames it
and the test reads what was really drawn (the chart's canvas pixels and data, the map's marker elements and their
places on screen), with no internet, so no map tile; and the demo sources carry coordinates inside their regency."""

import dataclasses
import json
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import ckanapi
import pandas as pd
import pytest
import requests
import yaml
from websockets.sync.client import connect

from pipelines.catalogue import Agency, Dataset, Regency, Source
from pipelines.publish import Portal, publish
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups
from pipelines.selfcheck import check_file
from pipelines.settings import PROJECT_ROOT as ROOT
from pipelines.standard import SchemaError, load_standard, parse_standard
from pipelines.standard.views import declared
from tests.helpers import CHROMIUM, stop_group

sys.path.insert(0, str(ROOT / "demo"))
import agency_data  # noqa: E402

PRICES, WIFI, RIVER = (
    load_standard(ref) for ref in ("harga-pasar/1.0.0", "wifi-publik/1.1.0", "tinggi-muka-air/1.1.0")
)
DISTRICTS = {"64.09.01", "64.09.02", "64.09.03", "64.09.04"}
BLUE = (0, 114, 178)  # views.js: the first series' colour
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/chromium.sh")


def prices() -> pd.DataFrame:
    """Three commodities at two markets over eight days: the chart shows each day's mean of the markets."""
    rows = [
        {
            "tanggal": pd.Timestamp("2026-10-01") + pd.Timedelta(days=d),
            "kode_kecamatan": "64.09.01",
            "kode_pasar": market,
            "nama_pasar": f"Pasar {market}",
            "komoditas": commodity,
            "satuan": "kg",
            "harga": 10_000 * (i + 1) + 250 * d + (300 if market == "PNJ-02" else 0),
        }
        for d in range(8)
        for market in ("PNJ-01", "PNJ-02")
        for i, commodity in enumerate(["Beras Medium", "Cabai Rawit", "Bawang Merah"])
    ]
    return pd.DataFrame(rows)


# Five wifi points of PPU, each reported in two months (one marker each): west to east, and north to south.
POINTS = [
    ("WF-6409-001", "Taman Kota", -1.10, 116.55),
    ("WF-6409-002", "Alun-alun", -1.15, 116.62),
    ("WF-6409-003", "Pasar Induk", -1.20, 116.70),
    ("WF-6409-004", "Puskesmas Waru", -1.28, 116.76),
    ("WF-6409-005", "SD Negeri 1", -1.31, 116.83),
]


def wifi_points() -> pd.DataFrame:
    rows = [
        {
            "bulan": pd.Timestamp(month),
            "kode_titik": code,
            "nama_lokasi": name,
            "jenis_lokasi": "Taman",
            "kode_kecamatan": "64.09.02",
            "bandwidth_mbps": 50.0,
            "jumlah_pengguna": 100 + n,
            "status": "Aktif",
            "lintang": lat,
            "bujur": lon,
        }
        for month in ("2026-09-01", "2026-10-01")
        for n, (code, name, lat, lon) in enumerate(POINTS)
    ]
    return pd.DataFrame(rows)


def river_levels() -> pd.DataFrame:
    """Two stations, hourly over two days."""
    rows = [
        {
            "tanggal": pd.Timestamp("2026-09-01") + pd.Timedelta(days=d),
            "jam": h,
            "kode_pos": code,
            "nama_pos": name,
            "sungai": "Sungai Masamba",
            "kode_kecamatan": "64.09.03",
            "tinggi_muka_air_cm": base + 10 * d + h,
            "status_siaga": "Normal",
            "lintang": lat,
            "bujur": lon,
        }
        for d in range(2)
        for h in range(24)
        for code, name, base, lat, lon in [
            ("PDA-6409-01", "Pos Hulu", 120.0, -1.05, 116.60),
            ("PDA-6409-02", "Pos Hilir", 180.0, -1.30, 116.75),
        ]
    ]
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def published(portal_env):
    """A test regency's market prices, wifi points and river levels, published as the pipeline publishes."""
    slug = f"vw{uuid.uuid4().hex[:6]}"
    agency = Agency(
        f"diskominfo-{slug}", f"Dinas Kominfo Uji {slug}", "Produsen data uji / test producer", "diskominfo@uji.go.id"
    )
    tables = {
        "harga-pasar": (PRICES, prices()),
        "wifi-publik": (WIFI, wifi_points()),
        "tinggi-muka-air": (RIVER, river_levels()),
    }
    datasets = {
        name: Dataset(name, standard.ref, agency, Source("file_drop", {}), {}) for name, (standard, _) in tables.items()
    }
    regency = Regency(
        code="64.09",
        slug=slug,
        name="Kabupaten Penajam Paser Utara",
        walidata="Diskominfo Uji",
        portal="local",
        timezone="Asia/Makassar",
        agencies=(agency,),
        datasets=tuple(datasets.values()),
    )
    portal = Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"])
    ensure_pillar_groups(portal)
    ensure_organisation(portal, agency)
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    found = {}
    for name, (standard, frame) in tables.items():
        result = publish(portal, regency, datasets[name], standard, frame, {"run_id": "run-views"}, DISTRICTS)
        package = admin.action.package_show(id=result.dataset)
        [resource] = [r for r in package["resources"] if r["name"] == f"{name}.csv"]
        found[name] = {
            "package": package,
            "resource": resource,
            "frame": frame,
            "standard": standard,
            "views": admin.action.resource_view_list(id=resource["id"]),
        }
    yield {
        "url": portal_env["CKAN_URL"],
        "admin": admin,
        "regency": regency,
        "new_portal": lambda: Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"]),
        "datasets": datasets,
        **found,
    }
    for action, name in [
        *(("dataset_purge", f["package"]["name"]) for f in found.values()),
        ("organization_purge", agency.slug),
    ]:
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def view_url(published, name: str, view_type: str) -> str:
    table = published[name]
    [view] = [v for v in table["views"] if v["view_type"] == view_type]
    return f"{published['url']}/dataset/{table['package']['name']}/resource/{table['resource']['id']}/view/{view['id']}"


def evaluated(url: str, expression: str, profile: Path, timeout: float = 60) -> object:
    """What `expression` returns on the page in headless Chromium, asked through the DevTools protocol until it
    returns something (the page's scripts have drawn), or None after `timeout` seconds."""
    browser = subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            "--window-size=1000,900",
            f"--user-data-dir={profile}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + timeout
        port_file = profile / "DevToolsActivePort"
        while not (port_file.exists() and port_file.read_text().strip()) and time.monotonic() < deadline:
            time.sleep(0.2)
        port = int(port_file.read_text().split()[0])
        [page] = [
            t for t in requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json() if t["type"] == "page"
        ]
        with connect(page["webSocketDebuggerUrl"], max_size=None) as socket:
            calls = iter(range(1, 1_000_000))

            def call(method: str, **params) -> dict:
                number = next(calls)
                socket.send(json.dumps({"id": number, "method": method, "params": params}))
                while True:  # events arrive between the answers
                    message = json.loads(socket.recv(timeout=timeout))
                    if message.get("id") == number:
                        return message.get("result", {})

            call("Page.navigate", url=url)
            while time.monotonic() < deadline:
                found = call("Runtime.evaluate", expression=expression, returnByValue=True)["result"].get("value")
                if found:
                    return found
                time.sleep(0.5)
        return None
    finally:
        stop_group(browser)


# Chart.js draws on a canvas: the pixels of each series' colour are counted (the first is the standards' blue) and
# the chart's own data read back.
CHART = (
    """(() => {
  const canvas = document.getElementById('satudata-chart');
  const chart = canvas && window.Chart && Chart.getChart(canvas);
  if (!chart) return null;
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0, blue = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 0) painted++;
    if (pixels[i] === %d && pixels[i + 1] === %d && pixels[i + 2] === %d && pixels[i + 3] === 255) blue++;
  }
  return {painted, blue, area: canvas.width * canvas.height, labels: chart.data.labels,
          series: chart.data.datasets.map(d => [d.label, d.data, d.borderColor])};
})()"""
    % BLUE
)

# Leaflet draws circle markers as SVG paths: their centres on screen, relative to the map.
MAP = """(() => {
  const map = document.getElementById('satudata-map');
  const markers = map ? [...map.querySelectorAll('path.leaflet-interactive')] : [];
  if (!markers.length) return null;
  const box = map.getBoundingClientRect();
  return {width: box.width, height: box.height, markers: markers.map(m => {
    const r = m.getBoundingClientRect();
    return [r.x + r.width / 2 - box.x, r.y + r.height / 2 - box.y, r.width];
  })};
})()"""


def test_publishing_puts_the_declared_views_first_and_a_rerun_writes_nothing(published):
    for name in ("harga-pasar", "wifi-publik", "tinggi-muka-air"):
        table = published[name]
        views = table["views"]
        wanted = declared(table["standard"])
        # The standard's views, in its order, then CKAN's table view.
        assert [v["view_type"] for v in views] == [w.view_type for w in wanted] + ["datatables_view"], name
        for view, want in zip(views, wanted):
            assert view["title"] == want.title
            assert {k: view.get(k) for k in want.config} == want.config
    prices_views = published["harga-pasar"]["views"]
    assert prices_views[0]["series_column"] == "komoditas" and prices_views[0]["aggregate"] == "avg"

    name = "harga-pasar"
    again = publish(
        published["new_portal"](),
        published["regency"],
        published["datasets"][name],
        PRICES,
        published[name]["frame"],
        {"run_id": "run-views-2"},
        DISTRICTS,
    )
    assert (again.changed, again.writes) == (False, [])


def test_a_deleted_view_returns_with_the_next_change(published):
    """The views are ensured on every publication that changes something: one removed by mistake returns."""
    name = "wifi-publik"
    table = published[name]
    [map_view] = [v for v in table["views"] if v["view_type"] == "satudata_map"]
    published["admin"].action.resource_view_delete(id=map_view["id"])
    frame = table["frame"].assign(jumlah_pengguna=table["frame"]["jumlah_pengguna"] + 1)
    result = publish(
        published["new_portal"](),
        published["regency"],
        published["datasets"][name],
        WIFI,
        frame,
        {"run_id": "run-views-3"},
        DISTRICTS,
    )
    assert "resource_view_create" in result.writes and "resource_view_reorder" in result.writes
    views = published["admin"].action.resource_view_list(id=table["resource"]["id"])
    assert [v["view_type"] for v in views] == ["satudata_map", "satudata_chart", "datatables_view"]
    table["views"] = views


def test_the_resource_page_opens_on_the_chart(published):
    table = published["harga-pasar"]
    page = requests.get(
        f"{published['url']}/dataset/{table['package']['name']}/resource/{table['resource']['id']}", timeout=60
    ).text
    chart = table["views"][0]
    frames = re.findall(r'<iframe [^>]*src="([^"]+)"', page)
    assert frames and frames[0].endswith(f"/view/{chart['id']}"), frames


@needs_chromium
def test_market_prices_are_a_line_per_commodity_drawn_on_the_canvas(published, tmp_path):
    drawn = evaluated(view_url(published, "harga-pasar", "satudata_chart"), CHART, tmp_path / "profile")
    assert drawn, "no chart was drawn"
    frame = published["harga-pasar"]["frame"]
    means = frame.groupby(["komoditas", frame["tanggal"].dt.strftime("%Y-%m-%d")])["harga"].mean()
    assert drawn["labels"] == sorted(frame["tanggal"].dt.strftime("%Y-%m-%d").unique())
    assert sorted(label for label, _, _ in drawn["series"]) == sorted(frame["komoditas"].unique())
    for label, values, _ in drawn["series"]:  # each day's mean over the two markets
        assert values == [means[label, day] for day in drawn["labels"]], label
    # Lines, points and legend really on the canvas, the first series in its colour.
    assert drawn["series"][0][2] == "#0072B2"
    assert drawn["painted"] > 0.01 * drawn["area"] and drawn["blue"] > 500, drawn


@needs_chromium
def test_river_levels_are_hourly_per_station(published, tmp_path):
    drawn = evaluated(view_url(published, "tinggi-muka-air", "satudata_chart"), CHART, tmp_path / "profile")
    assert drawn, "no chart was drawn"
    assert len(drawn["labels"]) == 48 and drawn["labels"][:2] == ["2026-09-01 00:00", "2026-09-01 01:00"]
    series = {label: values for label, values, _ in drawn["series"]}
    assert sorted(series) == ["Pos Hilir", "Pos Hulu"]
    assert series["Pos Hulu"][:3] == [120.0, 121.0, 122.0] and series["Pos Hilir"][-1] == 180.0 + 10 + 23
    assert drawn["blue"] > 500


@needs_chromium
def test_wifi_points_are_markers_in_their_places_without_tiles(published, tmp_path):
    drawn = evaluated(view_url(published, "wifi-publik", "satudata_map"), MAP, tmp_path / "profile")
    assert drawn, "no marker was drawn"
    markers = drawn["markers"]
    assert len(markers) == len(POINTS)  # each point once, though it is reported every month
    assert all(0 <= x <= drawn["width"] and 0 <= y <= drawn["height"] and size > 5 for x, y, size in markers)
    # Leaflet projected them: west to east is left to right, north to south top to bottom, as in POINTS.
    by_x = sorted(markers)
    assert [m[1] for m in by_x] == sorted(m[1] for m in markers)
    assert by_x[-1][0] - by_x[0][0] > drawn["width"] / 3


@needs_chromium
def test_river_stations_are_on_their_map(published, tmp_path):
    drawn = evaluated(view_url(published, "tinggi-muka-air", "satudata_map"), MAP, tmp_path / "profile")
    assert drawn and len(drawn["markers"]) == 2


def test_the_demo_sources_carry_coordinates_inside_their_regency(services_state, tmp_path):
    """What `make demo` serves for wifi points, river stations and tourism destinations meets the new
    standards, each point near its regency's centre."""
    cache = services_state / "reference"
    wifi = agency_data.wifi_rows(agency_data.PPU, 52, 64092)
    (tmp_path / "wifi-publik.csv").write_bytes(agency_data.wifi_csv(wifi))
    river = agency_data.river_rows()
    (tmp_path / "tma.json").write_text(json.dumps(river))
    files = [
        ("wifi-publik.csv", "wifi-publik/1.1.0", "ppu", agency_data.PPU, wifi),
        ("tma.json", "tinggi-muka-air/1.1.0", "lutra", agency_data.LUTRA, river),
    ]
    for *_, registers in agency_data.TOURISM_REGISTERS.values():
        for resource, (code, destinations, seed) in registers.items():
            rows = agency_data.tourism_rows(code, destinations, seed)
            (tmp_path / f"{resource}.json").write_text(json.dumps(rows))
            slug = {agency_data.PPU: "ppu", agency_data.PASER: "paser", agency_data.LUTRA: "lutra"}[code]
            files.append((f"{resource}.json", "kunjungan-wisata/1.2.0", slug, code, rows))
    for name, standard, slug, code, rows in files:
        result = check_file(tmp_path / name, standard, slug, cache)
        assert result.accepted, (name, [str(i) for i in result.issues[:3]])
        lat, lon = agency_data.CENTRES[code]
        assert all(abs(r["lintang"] - lat) < 0.35 and abs(r["bujur"] - lon) < 0.35 for r in rows), name
        assert len({(r["lintang"], r["bujur"]) for r in rows}) > 1, name
    # The catalogue delivers the new versions.
    entries = [
        d
        for f in ("penajam-paser-utara", "paser", "luwu-utara")
        for d in yaml.safe_load((ROOT / "catalogue" / f"{f}.yaml").read_text())["datasets"]
    ]
    assert {d["schema"] for d in entries if d["name"] in ("wifi-publik", "tinggi-muka-air", "kunjungan-wisata")} == {
        "wifi-publik/1.1.0",
        "tinggi-muka-air/1.1.0",
        "kunjungan-wisata/1.2.0",
    }


@pytest.mark.parametrize(
    "block, complaint",
    [
        ([{"jenis": "peta", "judul": "Peta", "lintang": "lintang", "bujur": "tidak_ada"}], "'tidak_ada' is not a"),
        ([{"jenis": "grafik", "judul": "Grafik", "waktu": "nama_lokasi", "nilai": "jumlah_pengguna"}], "is string"),
        (
            [{"jenis": "grafik", "judul": "Grafik", "waktu": "bulan", "nilai": "jumlah_pengguna", "agregasi": "max"}],
            "agregasi 'max'",
        ),
        ([{"jenis": "diagram", "judul": "X"}], "jenis must be one of"),
        ([{"jenis": "peta", "lintang": "lintang", "bujur": "bujur"}], "judul"),
    ],
)
def test_a_wrong_tampilan_block_stops_the_standard_at_load(block, complaint):
    doc = yaml.safe_load((ROOT / "schemas" / "wifi-publik" / "1.1.0.yaml").read_text())
    doc["satudata"]["tampilan"] = block
    with pytest.raises(SchemaError, match="satudata.tampilan") as refused:
        parse_standard(doc, "1.1.0.yaml")
    assert complaint in str(refused.value)


def test_a_table_published_under_the_previous_version_takes_the_coordinates(published):
    """A regency's wifi points published under wifi-publik 1.0.0 (no coordinates), then under 1.1.0: the table
    gains the columns, holds the coordinates and gets its map."""
    previous = load_standard("wifi-publik/1.0.0")
    dataset = Dataset(
        "wifi-publik", previous.ref, published["datasets"]["wifi-publik"].agency, Source("file_drop", {}), {}
    )
    regency = Regency(
        code="64.09",
        slug=f"{published['regency'].slug}x",
        name="Kabupaten Penajam Paser Utara",
        walidata="Diskominfo Uji",
        portal="local",
        timezone="Asia/Makassar",
        agencies=published["regency"].agencies,
        datasets=(dataset,),
    )
    frame = wifi_points()
    name = f"{regency.slug}-wifi-publik"
    try:
        publish(
            published["new_portal"](),
            regency,
            dataset,
            previous,
            frame.drop(columns=["lintang", "bujur"]),
            {"run_id": "run-1.0.0"},
            DISTRICTS,
        )
        [table] = published["admin"].action.package_show(id=name)["resources"]
        views = published["admin"].action.resource_view_list(id=table["id"])
        assert [v["view_type"] for v in views] == ["datatables_view"]
        upgraded = dataclasses.replace(dataset, schema=WIFI.ref)
        publish(published["new_portal"](), regency, upgraded, WIFI, frame, {"run_id": "run-1.1.0"}, DISTRICTS)
        package = published["admin"].action.package_show(id=name)
        assert [r["id"] for r in package["resources"]] == [table["id"]]
        rows = published["admin"].action.datastore_search(resource_id=table["id"], limit=100)["records"]
        assert package["standar_data"] == "wifi-publik/1.1.0" and len(rows) == len(frame)
        assert {(r["kode_titik"], float(r["lintang"]), float(r["bujur"])) for r in rows} == {
            (code, lat, lon) for code, _, lat, lon in POINTS
        }
        views = published["admin"].action.resource_view_list(id=table["id"])
        assert [v["view_type"] for v in views] == ["satudata_map", "satudata_chart", "datatables_view"]
    finally:
        try:
            published["admin"].action.dataset_purge(id=name)
        except ckanapi.NotFound:
            pass
