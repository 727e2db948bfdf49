"""The portal administrator's setup of a catalogue's publishers (`satudata portal setup`), so that the pipeline
publishes with a token that can do no more than publishing needs: never a sysadmin's.

A publisher is a regency, or a province target (`catalogue/portals.yaml`, `province:`). For each, on its portal:
- its organisations, with the catalogue's title, description and logo: each agency's and the walidata's (the
  compliance scorecard's publisher); a province target's own;
- the six smart-city pillar groups, each with its title and a description of what it covers;
- a portal user `satudata-<name>` (a random password nobody keeps: it works by token only), editor of exactly
  those organisations (a mere member of another, which only reads, stays so) and member of the pillar groups:
  CKAN 2.12 lets a user put a dataset in a group only with `manage_group` on the group, which its `member` role
  grants (`ckan.authz`, `_check_group_auth`);
- an API token of that user, written to an env file of mode 600 under the variable the catalogue names (the
  regency file's `api_token_env`, else its portal's). It is never printed. A token the portal still accepts
  stays; `new_token` replaces it and revokes the user's earlier ones.

Idempotent: what is right already is only read, so a second run writes nothing."""

import os
import secrets
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import ckanapi

from pipelines.catalogue import Agency, PortalConfig, Regency
from pipelines.publish import Portal, PublishError
from pipelines.publish.metadata import PILLARS
from pipelines.publish.province import members
from pipelines.stewardship.scorecard import walidata_agency

USER_PREFIX = "satudata-"
TOKEN_NAME = "satudata-pipeline"


class SetupError(RuntimeError):
    """The catalogue, the administrator's token or an existing user does not allow the setup; it stops there."""


@dataclass(frozen=True)
class Publisher:
    name: str  # a regency's slug or a province target's name
    url: str  # its portal
    token_env: str  # the variable the pipeline reads its token from
    organisations: tuple[Agency, ...]
    contact: str = ""  # the walidata's e-mail address

    @property
    def user(self) -> str:
        return USER_PREFIX + self.name

    @property
    def email(self) -> str:
        # CKAN wants one address per user: a plus-address still reaches the walidata's mailbox.
        local, at, domain = self.contact.partition("@")
        return f"{local}+{self.user}@{domain}" if at else f"{self.user}@localhost.localdomain"


@dataclass
class Report:
    lines: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)  # every write action sent to a portal, in order


def publishers(regencies: list[Regency], targets: dict[str, PortalConfig]) -> list[Publisher]:
    """Every regency, and every province target with a member regency among them."""
    found = [
        Publisher(
            r.slug,
            targets[r.portal].url,
            r.api_token_env or targets[r.portal].api_token_env,
            (*r.agencies, walidata_agency(r)),
            r.walidata_contact,
        )
        for r in regencies
    ]
    for name, target in targets.items():
        province = target.province
        if province and members(province, regencies):
            found.append(
                Publisher(
                    name, target.url, target.api_token_env, (province.organisation,), province.organisation.contact
                )
            )
    return found


def check_token_variables(chosen: list[Publisher], everyone: list[Publisher], admin_env: str) -> None:
    """Each publisher's token in a variable of its own: a shared one would make one regency publish as
    another, and the administrator's would keep the pipeline a sysadmin."""
    owners: dict[str, list[str]] = {}
    for publisher in everyone:
        owners.setdefault(publisher.token_env, []).append(publisher.name)
    problems = []
    for publisher in chosen:
        others = [name for name in owners[publisher.token_env] if name != publisher.name]
        if publisher.token_env == admin_env:
            problems.append(
                f"{publisher.name}: {publisher.token_env} adalah variabel token administrator / is the "
                f"administrator's token variable"
            )
        elif others:
            problems.append(
                f"{publisher.name}: {publisher.token_env} dipakai juga oleh / is also used by {', '.join(others)}"
            )
    if problems:
        raise SetupError(
            "\n".join(problems) + "\nberi setiap kabupaten/kota `api_token_env` sendiri di berkasnya "
            "(target provinsi: di catalogue/portals.yaml) / give each regency its own `api_token_env` "
            "in its file (a province target: in catalogue/portals.yaml)"
        )


def setup(chosen: list[Publisher], admin_token: str, env_file: Path, new_token: bool = False) -> Report:
    """Each chosen publisher on its portal, with the administrator's (sysadmin) token; its token variables
    checked first (`check_token_variables`)."""
    report = Report()
    administrators: dict[str, Portal] = {}
    for publisher in chosen:
        admin = administrators.get(publisher.url)
        if admin is None:
            admin = administrators[publisher.url] = _administrator(publisher.url, admin_token)
            ensure_pillar_groups(admin)
        for agency in publisher.organisations:
            ensure_organisation(admin, agency)
        user = _user(admin, publisher)
        _memberships(admin, user, publisher)
        token = _token(admin, user, publisher, env_file, new_token)
        report.lines.append(
            f"{publisher.name}: {publisher.user} editor "
            f"{', '.join(a.slug for a in publisher.organisations)}; anggota grup pilar / member of "
            f"the pillar groups; token {publisher.token_env} {token} ({env_file})"
        )
    report.writes = [action for admin in administrators.values() for action in admin.writes]
    report.lines.append(f"{len(report.writes)} perubahan di portal / changes on the portal")
    return report


# Each smart-city pillar's own page (`/group/<pillar>`): what it covers, in Bahasa Indonesia and English.
PILLAR_PAGES = {
    "governance": (
        "Tata kelola pemerintahan: layanan publik, perizinan, pengaduan dan kinerja perangkat daerah.",
        "Government: public services, permits, complaints and the agencies' performance.",
    ),
    "branding": (
        "Citra daerah: pariwisata, budaya dan daya tarik kabupaten bagi pengunjung dan investor.",
        "Regional branding: tourism, culture and what draws visitors and investors.",
    ),
    "economy": (
        "Ekonomi: perdagangan, harga kebutuhan pokok, UMKM dan industri.",
        "Economy: trade, staple prices, small businesses and industry.",
    ),
    "living": (
        "Kualitas hidup: kesehatan, keselamatan, perumahan dan transportasi.",
        "Living: health, safety, housing and transport.",
    ),
    "society": (
        "Masyarakat: pendidikan, layanan sosial, akses internet dan partisipasi warga.",
        "Society: education, social services, internet access and citizens' participation.",
    ),
    "environment": (
        "Lingkungan: sampah, air, kebencanaan dan energi.",
        "Environment: waste, water, disasters and energy.",
    ),
}


def ensure_pillar_groups(portal: Portal) -> None:
    """The six pillar groups, each with its title and description; a group whose page says otherwise is
    corrected."""
    existing = {group["name"]: group for group in portal.read("group_list", all_fields=True, groups=list(PILLARS))}
    for name, title in PILLARS.items():
        indonesian, english = PILLAR_PAGES[name]
        wanted = {"title": title, "description": f"**Pilar {title}.** {indonesian}\n\n*{english}*"}
        group = existing.get(name)
        if group is None:
            portal.write("group_create", name=name, **wanted)
        elif any((group.get(k) or "") != v for k, v in wanted.items()):
            portal.write("group_patch", id=group["id"], **wanted)


def ensure_organisation(portal: Portal, agency: Agency) -> dict:
    wanted = {"title": agency.name, "description": agency.description, "image_url": agency.logo}
    org = portal.find("organization_show", id=agency.slug)
    if org is None:
        return portal.write("organization_create", name=agency.slug, **wanted)
    if any((org.get(k) or "") != v for k, v in wanted.items()):
        return portal.write("organization_patch", id=org["id"], **wanted)
    return org


def read_env(path: Path) -> dict[str, str]:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def _administrator(url: str, token: str) -> Portal:
    portal = Portal(url, token)
    try:
        user = portal.read("user_show") if token else {}  # without an id: the token's own user
    except (ckanapi.NotFound, ckanapi.NotAuthorized, ckanapi.ValidationError):
        user = {}
    if not user.get("sysadmin"):
        raise SetupError(
            f"{url}: token administrator tidak diterima atau bukan milik sysadmin / the administrator's "
            f"token is not accepted or is not a sysadmin's"
        )
    return portal


def _user(portal: Portal, publisher: Publisher) -> dict:
    user = portal.find("user_show", id=publisher.user)
    if user is None:
        return portal.write(
            "user_create",
            name=publisher.user,
            email=publisher.email,
            password=secrets.token_urlsafe(32),
            fullname=f"Pipeline Satu Data ({publisher.name})",
        )
    if user.get("sysadmin") or user.get("state") != "active":
        raise SetupError(
            f"{publisher.user}: sudah ada tetapi sysadmin atau tidak aktif; perbaiki di portal / exists "
            f"but is a sysadmin or not active; fix it on the portal"
        )
    return user


def _memberships(portal: Portal, user: dict, publisher: Publisher) -> None:
    """Editor of exactly the publisher's organisations, member of every pillar group."""
    wanted = {agency.slug for agency in publisher.organisations}
    held = {
        org["name"]: org.get("capacity")
        for org in portal.read("organization_list_for_user", id=user["name"], permission="read")
    }
    for slug in sorted(wanted):
        if held.get(slug) != "editor":
            portal.write("organization_member_create", id=slug, username=user["name"], role="editor")
    # Only a write beyond the catalogue is taken back: reading another organisation's private datasets (a
    # province register the regency reads as a source, demo/prepare.py) lets the token write nothing.
    for slug in sorted(org for org, capacity in held.items() if org not in wanted and capacity != "member"):
        portal.write("organization_member_delete", id=slug, username=user["name"])
    for group in PILLARS:
        if not any(member[0] == user["id"] for member in portal.read("member_list", id=group, object_type="user")):
            portal.write("group_member_create", id=group, username=user["name"], role="member")


def _token(portal: Portal, user: dict, publisher: Publisher, env_file: Path, new_token: bool) -> str:
    stored = read_env(env_file).get(publisher.token_env)
    if stored and not new_token and _accepted(portal.url, stored, user["name"]):
        return "tetap / unchanged"
    earlier = (
        [t["id"] for t in portal.read("api_token_list", user_id=user["name"]) if t["name"] == TOKEN_NAME]
        if new_token
        else []
    )
    _write_env(
        env_file, publisher.token_env, portal.write("api_token_create", user=user["name"], name=TOKEN_NAME)["token"]
    )
    for jti in earlier:  # after the new one is in place: a rotation leaves no moment without a token
        portal.write("api_token_revoke", jti=jti)
    return "baru / new"


def _accepted(url: str, token: str, user: str) -> bool:
    try:
        return Portal(url, token).check_token() == user
    except PublishError as refused:
        if not refused.permanent:  # the portal is down, not the token wrong
            raise
        return False


def _write_env(path: Path, name: str, value: str) -> None:
    """Replace one variable's line, keeping the others; the file is mode 600 from its first byte."""
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = [
        line
        for line in (path.read_text(encoding="utf-8").splitlines() if path.exists() else [])
        if not line.startswith(f"{name}=")
    ]
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write("\n".join([*kept, f"{name}={value}"]) + "\n")
    os.replace(temporary, path)
