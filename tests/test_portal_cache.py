"""The cache in front of the portal (portal/nginx.conf), on the real portal through its public port: anonymous
readers get kept pages, signed-in visitors and API tokens never do, a change reaches the anonymous page within
60 s, uploads pass through, and portal/stop.sh leaves none of its processes behind."""

import hashlib
import os
import re
import subprocess
import time
import uuid
from pathlib import Path

import ckanapi
import pytest
import requests

from tests.conftest import SERVICES_ENV, SERVICES_STATE
from tests.helpers import purge

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def dataset(portal_env):
    """A public dataset with a DataStore table and a private one, in an organisation of their own."""
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    name = f"uji-cache-{uuid.uuid4().hex[:8]}"
    admin.action.organization_create(name=name, title="Uji cache portal")
    public = admin.action.package_create(name=name, title="Judul pertama", owner_org=name)
    admin.action.package_create(name=f"{name}-privat", title="Rahasia", owner_org=name, private=True)
    table = admin.action.datastore_create(
        resource={"package_id": public["id"], "name": "tabel"},
        fields=[{"id": "kecamatan", "type": "text"}],
        records=[{"kecamatan": "Penajam"}],
        force=True,
    )
    yield {"name": name, "resource": table["resource_id"], "admin": admin}
    purge(admin, [("dataset_purge", name), ("dataset_purge", f"{name}-privat"), ("organization_purge", name)])


def get(portal_env, path, **kwargs) -> requests.Response:
    response = requests.get(portal_env["CKAN_URL"] + path, timeout=60, **kwargs)
    assert response.status_code == 200, (path, response.status_code)
    return response


def cache_status(response: requests.Response) -> str:
    return response.headers["X-Cache-Status"]


def read_again_once_kept(portal_env, path) -> requests.Response:
    """The next read of a page just read. nginx files its kept copy when CKAN's answer is complete, which can be a
    moment after the reader got the last byte: a read in that moment also goes to CKAN (a MISS), so up to three
    reads, a quarter of a second apart, may be needed for the HIT."""
    for _ in range(3):
        response = get(portal_env, path)
        if cache_status(response) == "HIT":
            break
        time.sleep(0.25)
    return response


def test_anonymous_reads_are_served_from_the_cache_the_second_time(portal_env, dataset):
    paths = [
        f"/dataset/{dataset['name']}",
        f"/en/dataset/{dataset['name']}",
        f"/api/3/action/package_show?id={dataset['name']}",
        f"/api/3/action/package_search?q={dataset['name']}",
        f"/api/3/action/datastore_search?resource_id={dataset['resource']}",
    ]
    for path in paths:
        first = get(portal_env, path)
        second = read_again_once_kept(portal_env, path)
        assert (cache_status(first), cache_status(second)) == ("MISS", "HIT"), path
        assert second.content == first.content
    # Static files: kept, and sent with long cache headers.
    page = get(portal_env, f"/dataset/{dataset['name']}")
    css = re.search(r'href="(/webassets/base/[^"]+\.css)"', page.text).group(1)
    get(portal_env, css)
    assert "max-age=31536000" in get(portal_env, css).headers["Cache-Control"]
    assert "max-age=86400" in get(portal_env, "/base/images/ckan.ico").headers["Cache-Control"]


def test_requests_with_an_api_token_are_never_cached(portal_env, dataset):
    token = {"Authorization": portal_env["CKAN_API_TOKEN"]}
    private = f"/api/3/action/package_show?id={dataset['name']}-privat"
    for _ in range(2):
        shown = get(portal_env, private, headers=token)
        assert cache_status(shown) == "BYPASS"
        assert shown.json()["result"]["title"] == "Rahasia"
    # What the token was shown was not kept for anyone else.
    anonymous = requests.get(portal_env["CKAN_URL"] + private, timeout=60)
    assert anonymous.status_code in (403, 404)
    assert "Rahasia" not in anonymous.text
    # Not even a public page: the sysadmin's page (with its own links) is never kept.
    page = f"/dataset/{dataset['name']}"
    get(portal_env, page)
    assert cache_status(get(portal_env, page, headers=token)) == "BYPASS"
    assert "/dataset/edit/" not in get(portal_env, page).text


def test_a_signed_in_browser_is_never_served_from_the_cache(portal_env, dataset):
    password = (SERVICES_STATE / "portal" / "secrets" / "walidata_password").read_text().strip()
    page = f"/dataset/{dataset['name']}"
    assert cache_status(get(portal_env, page)) in ("MISS", "HIT")  # kept for the anonymous visitors
    # requests' cookie jar drops CKAN's cookies (an empty Domain attribute): kept by hand, as a browser does.
    jar: dict[str, str] = {}

    def keep(response: requests.Response) -> requests.Response:
        for raw in response.raw.headers.getlist("Set-Cookie"):
            name, value = raw.split(";")[0].split("=", 1)
            if value and "Max-Age=0" not in raw:
                jar[name] = value
            else:
                jar.pop(name, None)
        return response

    form = keep(get(portal_env, "/user/login"))
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text).group(1)
    keep(
        requests.post(
            portal_env["CKAN_URL"] + "/user/login",
            cookies=jar,
            allow_redirects=False,
            timeout=60,
            data={"login": "walidata", "password": password, "_csrf_token": csrf},
        )
    )
    assert "satudata_signed_in" in jar and "remember_token" not in jar
    signed_in = keep(get(portal_env, page, cookies=jar))
    assert cache_status(signed_in) == "BYPASS"
    assert f"/dataset/edit/{dataset['name']}" in signed_in.text  # the walidata's own page
    assert f"/dataset/edit/{dataset['name']}" not in get(portal_env, page).text  # not kept for the public
    dashboard = keep(get(portal_env, "/dashboard/datasets", cookies=jar))
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', dashboard.text).group(1)
    keep(
        requests.post(
            portal_env["CKAN_URL"] + "/user/_logout",
            cookies=jar,
            data={"_csrf_token": csrf},
            allow_redirects=False,
            timeout=60,
        )
    )
    assert "satudata_signed_in" not in jar


def test_a_change_is_on_the_anonymous_page_within_60_seconds(portal_env, dataset):
    page = f"/dataset/{dataset['name']}"
    get(portal_env, page)
    kept = get(portal_env, page)
    assert cache_status(kept) == "HIT" and "Judul pertama" in kept.text
    shown = f"/api/3/action/package_show?id={dataset['name']}"
    get(portal_env, shown)
    dataset["admin"].action.package_patch(id=dataset["name"], title="Judul kedua")
    changed = time.monotonic()
    while not (
        "Judul kedua" in get(portal_env, page).text
        and get(portal_env, shown).json()["result"]["title"] == "Judul kedua"
    ):
        assert time.monotonic() - changed < 60, "the new title is not on the anonymous page after 60 s"
        time.sleep(2)


def test_an_upload_passes_through_the_proxy(portal_env, dataset, tmp_path):
    # Larger than nginx's default request body limit (1 MB) and than its memory buffers.
    data = os.urandom(1 << 20) * 24
    upload = tmp_path / "lampiran.bin"
    upload.write_bytes(data)
    with upload.open("rb") as file:
        resource = dataset["admin"].call_action(
            "resource_create", {"package_id": dataset["name"], "name": "lampiran"}, files={"upload": file}
        )
    fetched = requests.get(resource["url"], timeout=120)
    assert fetched.status_code == 200
    assert hashlib.sha256(fetched.content).hexdigest() == hashlib.sha256(data).hexdigest()


def _processes_of_this_portal() -> list[str]:
    """Command lines of running nginx and gunicorn processes of this state folder's portal."""
    port = int(os.environ.get("SATUDATA_CKAN_PORT", "5055"))
    marks = (str(SERVICES_STATE / "portal" / "nginx.conf"), f"--bind 127.0.0.1:{port + 10000}")
    found = []
    for proc in Path("/proc").iterdir():
        try:
            command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, ValueError):
            continue
        if any(mark in command for mark in marks):
            found.append(command)
    return found


def test_stop_leaves_no_nginx_or_gunicorn_process(portal_env):
    """Last in this file: stops the portal and starts it again for the tests after it."""
    assert any("nginx: master" in c for c in _processes_of_this_portal())
    assert any("gunicorn" in c for c in _processes_of_this_portal())
    subprocess.run(["bash", "portal/stop.sh"], cwd=ROOT, env=SERVICES_ENV, check=True, capture_output=True)
    try:
        assert _processes_of_this_portal() == []
        assert not (SERVICES_STATE / "portal" / "nginx.pid").exists()
    finally:
        subprocess.run(["bash", "portal/start.sh"], cwd=ROOT, env=SERVICES_ENV, check=True, capture_output=True)
