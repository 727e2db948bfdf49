"""Prepares the demo agencies' sources before the pipeline runs (`make demo` calls it; idempotent):

- the Call Center 112 apps' SQLite databases of PPU and Luwu Utara under `<state>/demo/` (written once);
- the province portals' tourism registers as DataStore tables on the local CKAN portal (created or brought
  up to date; nothing is written when they already hold exactly the demo rows). They stand in for another
  portal's data, not the regency's publication, so they are private datasets: the public never sees a dataset
  without the Satu Data metadata, and each regency that reads one as a source (`kind: ckan`) reads it with its
  own token (`token_env`), its publishing user being made a member (read only) of the register's organisation.
  Run after `satudata portal setup`, which makes those users.

The file drops are committed under `demo/drops/`; the URL and API sources are served by `demo/agency_server.py`.

    python demo/prepare.py            # needs CKAN_URL and CKAN_API_TOKEN (from .state/portal/env)
"""

import os
import sys
from pathlib import Path

import ckanapi

from pipelines.catalogue import load_regencies
from pipelines.publish.portal_setup import USER_PREFIX

sys.path.insert(0, str(Path(__file__).resolve().parent))
import agency_data  # noqa: E402
from agency_data import LUTRA, PPU, TOURISM_FIELDS, TOURISM_REGISTERS, settings, tourism_rows  # noqa: E402

# The 112 apps' databases: file name -> (regency, calls per month, seed). The catalogue reads them through the
# URLs the Makefile exports (SATUDATA_DEMO_CC112_PPU_URL, SATUDATA_DEMO_CC112_LUTRA_URL).
DATABASES = {"cc112-ppu.sqlite": (PPU, 620, 112640), "cc112-lutra.sqlite": (LUTRA, 700, 112732)}


def demo_state() -> Path:
    return settings.state_dir() / "demo"


def ensure_databases(folder: Path) -> list[str]:
    done = []
    for name, (regency, calls, seed) in DATABASES.items():
        path = folder / name
        if path.exists():
            done.append(f"{path}: ada / exists")
            continue
        count = agency_data.write_112_database(path, regency, calls, seed)
        done.append(f"{path}: {count} panggilan / calls written")
    return done


def _records(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items()} for r in rows]


def _stored(portal: ckanapi.RemoteCKAN, resource_id: str) -> list[dict] | None:
    try:
        rows, offset = [], 0
        while True:
            page = portal.action.datastore_search(resource_id=resource_id, limit=5000, offset=offset, sort="_id")
            rows += [{k: v for k, v in r.items() if k != "_id"} for r in page["records"]]
            offset += len(page["records"])
            if not page["records"] or offset >= page["total"]:
                return rows
    except ckanapi.NotFound:
        return None


def _same(stored: list[dict] | None, wanted: list[dict]) -> bool:
    if stored is None or len(stored) != len(wanted):
        return False
    normal = [{**r, "bulan": str(r["bulan"])[:10]} for r in stored]
    return normal == wanted


def readers(register: str) -> list[str]:
    """The publishing users of the regencies whose catalogue reads `register` as a source."""
    return [
        USER_PREFIX + regency.slug
        for regency in load_regencies()
        for d in regency.datasets
        if d.source.kind == "ckan" and d.source.options.get("dataset") == register
    ]


def ensure_readers(portal: ckanapi.RemoteCKAN, org: dict, users: list[str]) -> list[str]:
    done = []
    members = {member[0] for member in portal.action.member_list(id=org["id"], object_type="user")}
    for user in users:
        try:
            found = portal.action.user_show(id=user)
        except ckanapi.NotFound:
            done.append(
                f"{user}: belum ada, jalankan `satudata portal setup` dulu / not there yet, run "
                f"`satudata portal setup` first"
            )
            continue
        if found["id"] not in members:
            portal.action.organization_member_create(id=org["id"], username=user, role="member")
            done.append(f"{org['name']}: {user} boleh membaca / may read")
    return done


def ensure_registers(url: str, token: str) -> list[str]:
    """Each province's register: organisation, private dataset, one DataStore table per regency, and its readers."""
    portal = ckanapi.RemoteCKAN(url, apikey=token, user_agent="satudata-demo")
    done = []
    for dataset, (org_name, org_title, title, tables) in TOURISM_REGISTERS.items():
        try:
            org = portal.action.organization_show(id=org_name)
        except ckanapi.NotFound:
            org = portal.action.organization_create(
                name=org_name, title=org_title, description="Portal provinsi (sumber demo) / province (demo source)"
            )
            done.append(f"organisasi / organisation {org_name}: dibuat / created")
        try:
            package = portal.action.package_show(id=dataset)
        except ckanapi.NotFound:
            package = portal.action.package_create(
                name=dataset,
                title=title,
                owner_org=org["id"],
                license_id="cc-by",
                private=True,
                notes="Sumber demo: register kunjungan wisatawan yang dipelihara dinas pariwisata provinsi; "
                "dibaca pipeline kabupaten lewat DataStore. Demo source read by the regencies' pipelines.",
            )
            done.append(f"dataset {dataset}: dibuat / created")
        if not package.get("private"):  # made public by an earlier version of this script
            package = portal.action.package_patch(id=package["id"], private=True)
            done.append(f"dataset {dataset}: privat / private")
        done += ensure_readers(portal, org, readers(dataset))
        for resource_name, (regency, destinations, seed) in tables.items():
            rows = tourism_rows(regency, destinations, seed)
            existing = next((r for r in package.get("resources", []) if r.get("name") == resource_name), None)
            if existing and _same(_stored(portal, existing["id"]), rows):
                done.append(f"{dataset}/{resource_name}: {len(rows)} baris, sama / rows, unchanged")
                continue
            if existing:
                portal.action.datastore_delete(resource_id=existing["id"], force=True)
                target = {"resource_id": existing["id"]}
            else:
                target = {
                    "resource": {
                        "package_id": package["id"],
                        "name": resource_name,
                        "format": "CSV",
                        "description": f"Kunjungan wisatawan, kode wilayah {regency}",
                    }
                }
            portal.action.datastore_create(
                **target,
                fields=TOURISM_FIELDS,
                records=_records(rows),
                primary_key=["kode_destinasi", "bulan"],
                force=True,
            )
            done.append(f"{dataset}/{resource_name}: {len(rows)} baris dimuat / rows loaded")
    return done


def main() -> int:
    folder = demo_state()
    folder.mkdir(parents=True, exist_ok=True)
    lines = ensure_databases(folder)
    url, token = os.environ.get("CKAN_URL"), os.environ.get("CKAN_API_TOKEN")
    if not url or not token:
        print("CKAN_URL / CKAN_API_TOKEN kosong: jalankan lewat `make demo` / run through `make demo`", file=sys.stderr)
        return 2
    lines += ensure_registers(url.rstrip("/"), token)
    print("Sumber demo / demo sources:")
    for line in lines:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
