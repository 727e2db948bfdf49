"""End-to-end check of a running local portal (portal/start.sh) with ckanapi.

    python portal/smoke_test.py [--state DIR] [--keep]

Needs `ckanapi` (any venv). Reads CKAN_URL / CKAN_API_TOKEN from the
environment or from $STATE/portal/env. Creates an organization and datasets
with a random suffix and purges them at the end unless --keep.
"""

import argparse
import os
import pathlib
import secrets
import tempfile
import urllib.error
import urllib.request

import ckanapi


def load_env(state: pathlib.Path) -> tuple[str, str]:
    env = dict(os.environ)
    path = state / "portal" / "env"
    if "CKAN_API_TOKEN" not in env and path.exists():
        env.update(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return env["CKAN_URL"], env["CKAN_API_TOKEN"]


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def main() -> None:
    repo = pathlib.Path(__file__).resolve().parent.parent
    ap = argparse.ArgumentParser()
    ap.add_argument("--state", default=os.environ.get("SATUDATA_STATE", repo / ".state"))
    ap.add_argument("--keep", action="store_true", help="do not purge what was created")
    args = ap.parse_args()
    url, token = load_env(pathlib.Path(args.state))
    ck = ckanapi.RemoteCKAN(url, apikey=token)
    anon = ckanapi.RemoteCKAN(url)
    sfx = secrets.token_hex(3)
    org, name, priv = f"dinas-uji-{sfx}", f"harga-pasar-{sfx}", f"rahasia-{sfx}"

    def check(cond, what):
        if not cond:
            raise SystemExit(f"FAIL: {what}")
        print(f"ok  {what}")

    try:
        o = ck.action.organization_create(name=org, title=f"Dinas Uji {sfx}")
        pkg = ck.action.package_create(
            name=name,
            title=f"Harga Pasar Harian {sfx}",
            owner_org=o["id"],
            notes="Harga komoditas per pasar per hari",
            license_id="cc-by",
            tags=[{"name": "harga"}, {"name": "pasar"}],
            frekuensi="Harian",
            extras=[{"key": "satudata_id", "value": f"sd-{sfx}"}],
        )
        check(
            pkg["organization"]["name"] == org and pkg["frekuensi"] == "Harian",
            "package_create with owner_org, a Satu Data field and extras",
        )

        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("tanggal,pasar,komoditas,harga\n2024-01-02,Pasar Induk,Beras,13500\n")
        with open(f.name, "rb") as fh:
            res = ck.action.resource_create(package_id=pkg["id"], name="harga.csv", format="CSV", upload=fh)
        os.unlink(f.name)
        status, body = http_get(res["url"])
        check(status == 200 and "Pasar Induk" in body, f"resource upload served at {res['url']}")

        ds = ck.action.datastore_create(
            resource={"package_id": pkg["id"], "name": "harga (tabel)"},
            fields=[
                {"id": "kode", "type": "text"},
                {"id": "tanggal", "type": "date"},
                {"id": "harga", "type": "numeric"},
            ],
            primary_key=["kode", "tanggal"],
            records=[{"kode": "0164A", "tanggal": "2024-01-02", "harga": 13500}],
        )
        rid = ds["resource_id"]
        ck.action.datastore_upsert(
            resource_id=rid,
            method="upsert",
            force=True,
            records=[
                {"kode": "0164A", "tanggal": "2024-01-02", "harga": 14000},
                {"kode": "0029", "tanggal": "2024-01-03", "harga": 9000.5},
            ],
        )
        rows = ck.action.datastore_search(resource_id=rid, sort="kode")["records"]
        check(
            [(r["kode"], float(r["harga"])) for r in rows] == [("0029", 9000.5), ("0164A", 14000.0)],
            "datastore_create + upsert + search (codes kept as text)",
        )
        sql = ck.action.datastore_search_sql(sql=f'SELECT count(*) AS n FROM "{rid}"')
        check(int(sql["records"][0]["n"]) == 2, "datastore_search_sql")

        r = ck.action.package_search(q="komoditas", fq=f"owner_org:{o['id']}")
        check(r["count"] == 1 and r["results"][0]["name"] == name, "package_search q + fq=owner_org")
        r = ck.action.package_search(
            fq=f'organization:{org} tags:harga frekuensi:"Harian"', **{"facet.field": ["organization", "tags"]}
        )
        check(
            r["count"] == 1 and r["search_facets"]["tags"]["items"],
            "package_search fq on organization/tags/extras + facets",
        )
        r = ck.action.package_search(fq="metadata_modified:[NOW-1DAY TO NOW]", rows=1000)
        check(name in {p["name"] for p in r["results"]}, "package_search metadata_modified range")

        show = ck.action.organization_show(id=org, include_datasets=True)
        check(
            show["package_count"] == 1 and show["packages"][0]["name"] == name,
            "organization_show include_datasets / package_count",
        )
        check(org in ck.action.organization_list(), "organization_list")

        ck.action.package_revise(
            match={"name": name},
            filter=["-extras"],
            update={
                "notes": "Direvisi",
                "extras": [{"key": "satudata_id", "value": f"sd-{sfx}"}, {"key": "versi", "value": "2"}],
            },
        )
        pkg = ck.action.package_show(id=name)
        extras = {e["key"]: e["value"] for e in pkg["extras"]}
        check(
            pkg["notes"] == "Direvisi" and extras.get("versi") == "2" and len(pkg["resources"]) == 2,
            "package_revise match/update keeps resources",
        )

        ck.action.package_create(name=priv, title=f"Data Tertutup {sfx}", owner_org=o["id"], private=True)
        check(
            priv not in {p["name"] for p in anon.action.package_search(q=sfx, rows=100)["results"]},
            "private dataset hidden from anonymous search",
        )
        check(
            priv in {p["name"] for p in ck.action.package_search(q=sfx, include_private=True)["results"]},
            "private dataset visible to sysadmin with include_private",
        )
        try:
            anon.action.package_show(id=priv)
            check(False, "private dataset hidden from anonymous package_show")
        except ckanapi.NotAuthorized:
            check(True, "private dataset hidden from anonymous package_show")

        for path in (f"/dataset/{name}", "/dataset", f"/organization/{org}", f"/dataset/?q={sfx}"):
            status, body = http_get(url + path)
            check(status == 200 and name in body, f"GET {path} HTML")
        status, body = http_get(url + f"/dataset/{priv}")
        check(status in (403, 404), "GET private dataset page is refused to anonymous")
    finally:
        if not args.keep:
            for n in (name, priv):
                try:
                    ck.action.dataset_purge(id=n)
                except ckanapi.NotFound:
                    pass
            try:
                ck.action.organization_purge(id=org)
            except ckanapi.NotFound:
                pass
    print("smoke test passed")


if __name__ == "__main__":
    main()
