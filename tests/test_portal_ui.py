"""What a new visitor sees on the local portal, rendered by headless Chromium (Debian's package): Bahasa Indonesia
first and English one click away, the regency's own identity from catalogue/portals.yaml, the Satu Data fields
labelled in Indonesian, the pillar and agency pages, and download counts that go up after a download."""

import html
import os
import re
import shutil
import time
import uuid
from pathlib import Path

import ckanapi
import pytest
import requests
import yaml

from pipelines.catalogue import Agency, CatalogueError, Dataset, Regency, Source, portal_site
from pipelines.publish import ALL_DOWNLOADS, Portal, publish
from pipelines.publish.portal_setup import PILLAR_PAGES, ensure_organisation, ensure_pillar_groups
from pipelines.settings import PROJECT_ROOT as ROOT
from tests.helpers import CHROMIUM, rendered
from tests.test_publish import DISTRICTS, STANDARD, market_prices

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/chromium.sh")


def text(dom: str) -> str:
    """What a reader sees: the DOM without scripts, styles and tags, blanks collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def downloads(dom: str, resource_id: str) -> int:
    return int(re.search(rf'data-resource="{resource_id}">(\d+)<', dom).group(1))


@pytest.fixture(scope="module")
def published(portal_env):
    """A dataset of a test agency, published as the pipeline publishes (CSV, XLSX, data dictionary)."""
    slug = f"ui{uuid.uuid4().hex[:6]}"
    agency = Agency(
        f"disdag-{slug}",
        f"Dinas Perdagangan Uji {slug}",
        "Produsen data harga pasar (uji). Producer of market-price data (test).",
        "disdag@uji.go.id",
        logo=f"{portal_env['CKAN_URL']}/satudata/logo",
    )
    dataset = Dataset("harga-pasar", "harga-pasar/1.0.0", agency, Source("file_drop", {}), {})
    regency = Regency(
        code="64.09",
        slug=slug,
        name="Kabupaten Penajam Paser Utara",
        walidata="Diskominfo Uji",
        portal="local",
        timezone="Asia/Makassar",
        agencies=(agency,),
        datasets=(dataset,),
    )
    portal = Portal(portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"])
    ensure_pillar_groups(portal)
    ensure_organisation(portal, agency)
    result = publish(
        portal, regency, dataset, STANDARD, market_prices(), {"run_id": "run-ui"}, DISTRICTS, downloads=ALL_DOWNLOADS
    )
    package = ckanapi.RemoteCKAN(portal_env["CKAN_URL"]).action.package_show(id=result.dataset)
    yield {"url": portal_env["CKAN_URL"], "package": package, "agency": agency}
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    for action, name in (("dataset_purge", result.dataset), ("organization_purge", agency.slug)):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def test_indonesian_first_and_english_one_click_away(published, tmp_path):
    base = published["url"]
    home = rendered(f"{base}/", tmp_path / "profile")
    assert '<html lang="id"' in home
    seen = text(home)
    for indonesian in ("Kumpulan data", "Organisasi", "Grup", "Tentang", "Masuk", "Langsung ke konten utama"):
        assert indonesian in seen, indonesian
    switch = re.search(r'<a class="nav-link satudata-lang" href="([^"]+)"\s+lang="en"[^>]*>English</a>', home)
    assert switch, "no English link in the header"

    english = rendered(base + html.unescape(switch.group(1)), tmp_path / "profile")
    assert '<html lang="en"' in english
    seen = text(english)
    for word in ("Datasets", "Organizations", "Groups", "About", "Log in"):
        assert word in seen, word
    assert "Kumpulan data" not in seen
    back = re.search(r'<a class="nav-link satudata-lang" href="([^"]+)"\s+lang="id"[^>]*>Bahasa Indonesia</a>', english)
    assert back, "no way back to Bahasa Indonesia"
    assert '<html lang="id"' in rendered(base + html.unescape(back.group(1)), tmp_path / "profile")


def test_the_regency_identity_comes_from_its_configuration(published, tmp_path):
    site = portal_site(os.environ.get("SATUDATA_PORTAL", "local"))
    base = published["url"]
    home = rendered(f"{base}/", tmp_path / "profile")
    assert f"<title>Selamat datang - {site['title']}</title>" in home
    assert f"--satudata-primary: {site['colours']['primary']}" in home  # the regency's colours
    seen = text(home)
    assert site["tagline"]["id"] in seen and site["contact"]["email"] in seen
    logo = re.search(r'<a class="logo satudata-identity"[^>]*>\s*<img src="([^"]+)" alt="([^"]+)"', home)
    assert logo and logo.group(2) == site["title"]
    served = requests.get(base + logo.group(1), timeout=30)
    assert served.ok and served.content == Path(site["logo"]).read_bytes()

    first_words = " ".join(site["about"]["id"].split()[:8])
    assert first_words in text(rendered(f"{base}/about", tmp_path / "profile"))
    about = text(rendered(f"{base}/en/about", tmp_path / "profile"))
    assert " ".join(site["about"]["en"].split()[:8]) in about and site["tagline"]["en"] in about

    organisation = rendered(f"{base}/organization/{published['agency'].slug}", tmp_path / "profile")
    assert f'src="{published["agency"].logo}"' in organisation  # the agency's logo, from its catalogue entry
    assert published["agency"].name in text(organisation)
    assert "Produsen data harga pasar (uji)" in text(organisation)
    pillar = text(rendered(f"{base}/group/economy", tmp_path / "profile"))
    assert "Smart Economy" in pillar and PILLAR_PAGES["economy"][0] in pillar


def test_satudata_fields_are_labelled_in_indonesian_and_in_english(published, tmp_path):
    page = f"/dataset/{published['package']['name']}"
    seen = text(rendered(published["url"] + page, tmp_path / "profile"))
    for label, value in (
        ("Frekuensi", "Harian"),
        ("Klasifikasi Akses", "Terbuka"),
        ("Pilar Smart City", "Smart Economy"),
        ("Tingkat Penyajian", "Kecamatan"),
        ("Standar Data (versi skema)", "harga-pasar/1.0.0"),
        ("Status Validasi", "Lolos"),
    ):
        assert f"{label} {value}" in seen, label
    assert "Informasi Tambahan" in seen and "Data dan Sumber Daya" in seen
    seen = text(rendered(f"{published['url']}/en{page}", tmp_path / "profile"))
    for label, value in (("Frequency", "Daily"), ("Access classification", "Open"), ("Validation status", "Passed")):
        assert f"{label} {value}" in seen, label


def test_visits_and_downloads_are_counted_on_the_page(published, tmp_path):
    page = f"{published['url']}/dataset/{published['package']['name']}"
    resources = {r["name"]: r for r in published["package"]["resources"]}
    table, dictionary = resources["harga-pasar.csv"], resources["harga-pasar-kamus-data.csv"]  # table, upload
    before = rendered(page, tmp_path / "profile")  # this visit is recorded by the page's tracking script
    counts = {r["id"]: downloads(before, r["id"]) for r in (table, dictionary)}

    # A download by anyone (here a script with a user agent of its own) counts, once per visitor a day.
    visitor = {"User-Agent": f"satudata-test-{uuid.uuid4().hex}"}
    for resource in (table, table, dictionary):
        assert requests.get(resource["url"], headers=visitor, timeout=60).ok

    # The public's page is kept up to 30 s by the cache in front of the portal (portal/nginx.conf).
    deadline = time.monotonic() + 60
    while True:
        after = rendered(page, tmp_path / "profile")
        seen_counts = {r["id"]: downloads(after, r["id"]) for r in (table, dictionary)}
        if seen_counts != counts or time.monotonic() > deadline:
            break
        time.sleep(5)
    assert seen_counts == {rid: count + 1 for rid, count in counts.items()}
    seen = text(after)
    assert re.search(r"Kunjungan ([1-9]\d*)", seen), "the visit is not counted"
    total = int(re.search(r"Unduhan (\d+)", text(before)).group(1))
    assert f"Unduhan {total + 2}" in seen
    assert "Diunduh" in seen


def test_a_mistyped_site_key_or_a_missing_logo_stops_the_portal_start(tmp_path):
    """The `site:` block is checked as strictly as the rest of the catalogue (portal/start.sh calls portal_site)."""
    source = yaml.safe_load((ROOT / "catalogue" / "portals.yaml").read_text())
    shutil.copytree(ROOT / "catalogue" / "identitas", tmp_path / "identitas")
    (tmp_path / "portals.yaml").write_text(yaml.safe_dump(source))
    assert portal_site("local", tmp_path)["title"]
    source["local"]["site"]["colour"] = source["local"]["site"].pop("colours")
    (tmp_path / "portals.yaml").write_text(yaml.safe_dump(source))
    with pytest.raises(CatalogueError, match=r"local\.site\.colour: kunci tidak dikenal / unknown key"):
        portal_site("local", tmp_path)
    source["local"]["site"]["colours"] = source["local"]["site"].pop("colour")
    source["local"]["site"]["logo"] = "identitas/tidak-ada.svg"
    (tmp_path / "portals.yaml").write_text(yaml.safe_dump(source))
    with pytest.raises(CatalogueError, match=r"local\.site\.logo: berkas 'identitas/tidak-ada.svg' tidak ada"):
        portal_site("local", tmp_path)
