"""Data requests on the local portal, tracked to the answer: an anonymous visitor asks for data in headless
Chromium and gets a number and a status; the walidata answers on the portal and from the command line
(`satudata permintaan`); the public page shows the answer, and the requester's contact is never on a public
page, in an anonymous API answer or in the portal's log."""

import html
import json
import re
import secrets
import subprocess
import sys
import uuid

import ckanapi
import pytest
import requests
import sqlalchemy as sa

from pipelines.settings import PROJECT_ROOT as ROOT
from tests.browser import Browser
from tests.conftest import SERVICES_ENV, SERVICES_STATE
from tests.helpers import CHROMIUM, rendered

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is installed by scripts/chromium.sh")


def text(dom: str) -> str:
    """What a reader sees: the DOM without scripts, styles and tags, blanks collapsed."""
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", dom, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


def anonymous(url: str, action: str, **data) -> dict:
    answer = requests.post(f"{url}/api/3/action/{action}", json=data, timeout=30)
    return answer.json()


def portal_log() -> str:
    return (SERVICES_STATE / "portal" / "ckan.log").read_text(errors="replace")


@pytest.fixture(scope="module")
def portal(portal_env):
    """The walidata's organisation (`walidata-<slug>`) and its editor, an agency with a public dataset and its
    editor (who is no walidata), each user with a password and a token; removed afterwards with the requests."""
    url = portal_env["CKAN_URL"]
    admin = ckanapi.RemoteCKAN(url, apikey=portal_env["CKAN_API_TOKEN"])
    slug = f"dr{uuid.uuid4().hex[:6]}"
    made = {"url": url, "slug": slug, "password": secrets.token_urlsafe(16), "numbers": []}
    admin.action.organization_create(name=f"walidata-{slug}", title=f"Walidata Uji {slug}")
    admin.action.organization_create(name=f"opd-{slug}", title=f"Dinas Uji {slug}")
    made["dataset"] = admin.action.package_create(
        name=f"{slug}-stunting", title=f"Prevalensi Stunting {slug}", owner_org=f"opd-{slug}", notes="Data uji."
    )["name"]
    made["private_dataset"] = admin.action.package_create(
        name=f"{slug}-rahasia", title="Rahasia", private=True, owner_org=f"opd-{slug}"
    )["name"]
    for user, organisation in ((f"walidata-{slug}", f"walidata-{slug}"), (f"opd-{slug}", f"opd-{slug}")):
        admin.action.user_create(name=user, email=f"{user}@uji.go.id", password=made["password"])
        admin.action.organization_member_create(id=organisation, username=user, role="editor")
        made[user] = admin.action.api_token_create(user=user, name="uji")["token"]
    yield made
    ckan_db = subprocess.run(
        ["bash", "scripts/postgres.sh", "url", "ckan"],
        cwd=ROOT,
        env=SERVICES_ENV,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    engine = sa.create_engine(ckan_db.replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as conn:
        conn.execute(sa.text("DELETE FROM satudata_permintaan WHERE id = ANY(:ids)"), {"ids": made["numbers"]})
    engine.dispose()
    for action, name in (
        ("dataset_purge", made["dataset"]),
        ("dataset_purge", made["private_dataset"]),
        ("user_delete", f"walidata-{slug}"),
        ("user_delete", f"opd-{slug}"),
        ("organization_purge", f"walidata-{slug}"),
        ("organization_purge", f"opd-{slug}"),
    ):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def test_a_visitor_asks_and_the_walidata_answers_on_the_portal(portal, tmp_path):
    url, slug = portal["url"], portal["slug"]
    contact, name = f"pemohon-{slug}@contoh.id", f"Pemohon {slug}"
    with Browser(tmp_path / "visitor") as visitor:
        form = visitor.open(f"{url}/permintaan/baru")
        assert "Minta data" in text(form) and "hanya dilihat walidata" in text(form)
        page = text(
            visitor.send_form(
                "form.satudata-permintaan-form",
                {
                    "title": f"Data stunting per desa {slug}",
                    "description": "Untuk perencanaan posyandu.",
                    "requester_name": name,
                    "requester_contact": contact,
                },
            )
        )
        number = int(re.search(r"/permintaan/(\d+)$", visitor.url()).group(1))
        portal["numbers"].append(number)
        assert f"Permintaan Anda tercatat dengan nomor {number}." in page
        assert f"Nomor {number} Status Diterima" in page
        assert contact not in page and name not in page

    public_list = rendered(f"{url}/permintaan", tmp_path / "public")
    assert f"Data stunting per desa {slug}" in text(public_list)
    assert re.search(rf'<tr data-request="{number}">.*?data-status="diterima"', public_list, re.S)
    assert "Received" in text(rendered(f"{url}/en/permintaan/{number}", tmp_path / "public"))
    for answer in (
        anonymous(url, "satudata_datarequest_show", id=number),
        anonymous(url, "satudata_datarequest_list", status="diterima"),
    ):
        assert answer["success"] and contact not in json.dumps(answer) and name not in json.dumps(answer)

    with Browser(tmp_path / "walidata") as walidata:
        walidata.open(f"{url}/user/login")
        walidata.send_form("form:has(#field-login)", {"login": f"walidata-{slug}", "password": portal["password"]})
        page = text(walidata.open(f"{url}/permintaan/{number}"))
        assert f"Pemohon: {name} · {contact}" in page  # the walidata sees whom to answer
        page = text(
            walidata.send_form("form.satudata-answer-form", {"status": "dipenuhi", "dataset": portal["dataset"]})
        )
        assert "Status Dipenuhi" in page

    public = rendered(f"{url}/permintaan/{number}", tmp_path / "public")
    assert "Status Dipenuhi" in text(public)
    assert re.search(
        rf'<a class="satudata-answer-dataset" href="[^"]*/dataset/{portal["dataset"]}">'
        rf"Prevalensi Stunting {slug}</a>",
        public,
    )
    assert contact not in public and name not in public
    shown = anonymous(url, "satudata_datarequest_show", id=number)["result"]
    assert (shown["status"], shown["dataset"]) == ("dipenuhi", portal["dataset"])
    assert shown["dataset_url"].endswith(f"/dataset/{portal['dataset']}") and shown["answered"]
    assert "requester_contact" not in shown
    assert contact not in portal_log()


def satudata(*args: str, token: str = "", url: str) -> subprocess.CompletedProcess:
    """The walidata's command line, with the portal's address and a token in the environment."""
    env = {**SERVICES_ENV, "CKAN_URL": url, "WALIDATA_TOKEN": token}
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "permintaan", *args, "--token-env", "WALIDATA_TOKEN"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_walidata_answers_from_the_command_line(portal, tmp_path):
    url, slug = portal["url"], portal["slug"]
    contact = "+62 812 5555 0101"
    made = anonymous(
        url,
        "satudata_datarequest_create",
        title=f"Jumlah UMKM per kecamatan {slug}",
        description="Untuk kajian ekonomi daerah.",
        requester_name="Budi",
        requester_contact=contact,
    )
    assert made["success"], made
    number = made["result"]["id"]
    portal["numbers"].append(number)
    assert made["result"]["status"] == "diterima" and contact not in json.dumps(made)

    refused = satudata("jawab", str(number), "--status", "diproses", token=portal[f"opd-{slug}"], url=url)
    assert refused.returncode == 2 and "token tidak berhak" in refused.stderr
    assert anonymous(url, "satudata_datarequest_show", id=number)["result"]["status"] == "diterima"

    walidata = portal[f"walidata-{slug}"]
    assert satudata("jawab", str(number), "--status", "diproses", token=walidata, url=url).returncode == 0
    listed = satudata("daftar", "--status", "diproses", token=walidata, url=url)
    assert listed.returncode == 0
    assert re.search(
        rf"^\s*{number}\s+diproses\s+.*Jumlah UMKM per kecamatan {slug}.*Budi <{re.escape(contact)}>",
        listed.stdout,
        re.M,
    )
    public_listing = satudata("daftar", "--status", "diproses", url=url)  # no token: no contacts
    assert f"Jumlah UMKM per kecamatan {slug}" in public_listing.stdout and contact not in public_listing.stdout

    without_reason = satudata("jawab", str(number), "--status", "ditolak", token=walidata, url=url)
    assert without_reason.returncode == 2 and "reason" in without_reason.stderr
    reason = "Data ini dikecualikan: memuat identitas pelaku usaha."
    done = satudata("jawab", str(number), "--status", "ditolak", "--alasan", reason, token=walidata, url=url)
    assert done.returncode == 0 and f"{number}: ditolak {reason}" in done.stdout

    public = text(rendered(f"{url}/permintaan/{number}", tmp_path / "public"))
    assert "Status Ditolak" in public and f"Alasan {reason}" in public
    assert contact not in public and "Budi" not in public
    assert contact not in portal_log()


def test_what_the_portal_refuses(portal):
    url, slug = portal["url"], portal["slug"]
    no_contact = anonymous(
        url,
        "satudata_datarequest_create",
        title="Data",
        description="Perlu",
        requester_name="Ani",
        requester_contact="belum ada",
    )
    assert not no_contact["success"] and "requester_contact" in no_contact["error"]
    made = anonymous(
        url,
        "satudata_datarequest_create",
        title=f"Data air bersih {slug}",
        description="Perlu",
        requester_name="Ani",
        requester_contact="ani@contoh.id",
    )["result"]
    portal["numbers"].append(made["id"])

    assert (
        anonymous(url, "satudata_datarequest_answer", id=made["id"], status="diproses")["error"]["__type"]
        == "Authorization Error"
    )
    walidata = ckanapi.RemoteCKAN(url, apikey=portal[f"walidata-{slug}"])
    for private_or_missing in (portal["private_dataset"], "tidak-ada", ""):
        with pytest.raises(ckanapi.ValidationError):
            walidata.action.satudata_datarequest_answer(id=made["id"], status="dipenuhi", dataset=private_or_missing)
    with pytest.raises(ckanapi.ValidationError):
        walidata.action.satudata_datarequest_answer(id=made["id"], status="diterima")
    with pytest.raises(ckanapi.NotFound):
        walidata.action.satudata_datarequest_answer(id=10**9, status="diproses")

    # The list the Daftar Data and the scorecard read: by status and year, newest first, contacts for the walidata.
    listed = anonymous(url, "satudata_datarequest_list", status="diterima,diproses", year=made["created"][:4])
    assert made["id"] in [r["id"] for r in listed["result"]["results"]]
    assert all("requester_contact" not in r for r in listed["result"]["results"])
    ids = [r["id"] for r in listed["result"]["results"]]
    assert ids == sorted(ids, reverse=True)
    assert not anonymous(url, "satudata_datarequest_list", year=int(made["created"][:4]) + 1)["result"]["results"]
    seen = walidata.action.satudata_datarequest_list(status="diterima")["results"]
    assert {"id": made["id"], "requester_contact": "ani@contoh.id"}.items() <= next(
        r for r in seen if r["id"] == made["id"]
    ).items()
