"""The portal administrator's setup (`satudata portal setup`) on the real local portal, and publishing with the
tokens it makes: two regencies of Kalimantan Timur and their province target, each with a publishing user who
is editor of exactly its own organisations, member of the pillar groups and no sysadmin; the pipeline runs
with those tokens only, and one regency's token cannot write into another's organisation."""

import shutil
import stat
import uuid

import ckanapi
import pytest
import yaml

from pipelines.catalogue import Agency, Dataset, Source, load_regencies
from pipelines.cli import main
from pipelines.publish import Portal, PublishError, publish
from pipelines.publish.metadata import PILLARS
from pipelines.publish.portal_setup import read_env
from pipelines.settings import PROJECT_ROOT as ROOT
from tests.helpers import market_price_catalogue, point_pipeline_at, purge, run_main_job
from tests.test_province import PASER_PRICES
from tests.test_publish import DISTRICTS, STANDARD, market_prices


@pytest.fixture
def kaltim(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    """Regencies A (64.09) and B (64.01) and province target K, each naming its own token variable; nothing of
    them on the portal yet."""
    tag = uuid.uuid4().hex[:6]
    a, b, k = f"a{tag}", f"b{tag}", f"k{tag}"
    catalogue, _ = market_price_catalogue(tmp_path, a, on_portal=False)
    doc = yaml.safe_load((catalogue / "ppu.yaml").read_text())
    doc["api_token_env"] = f"A{tag.upper()}_TOKEN"
    (catalogue / "ppu.yaml").write_text(yaml.safe_dump(doc))
    drop = tmp_path / "drop-b"
    drop.mkdir()
    (drop / "harga_pasar_2026-10.csv").write_text(PASER_PRICES, encoding="utf-8")
    [agency], [dataset] = doc["agencies"], doc["datasets"]
    (catalogue / "paser.yaml").write_text(
        yaml.safe_dump(
            {
                **doc,
                "regency": {**doc["regency"], "code": "64.01", "slug": b, "name": "Kabupaten Paser"},
                "api_token_env": f"B{tag.upper()}_TOKEN",
                "agencies": [
                    {**agency, "slug": f"disdag-{b}", "name": "Dinas Perindustrian dan Perdagangan Kabupaten Paser"}
                ],
                "datasets": [{**dataset, "agency": f"disdag-{b}", "source": {**dataset["source"], "path": str(drop)}}],
            }
        )
    )
    shutil.copy(ROOT / "catalogue" / "data-induk" / "paser-pasar.csv", catalogue / "data-induk" / f"{b}-pasar.csv")
    portals = yaml.safe_load((catalogue / "portals.yaml").read_text())
    province = yaml.safe_load((ROOT / "catalogue" / "portals.yaml").read_text())["kaltim"]
    province["province"]["organisation"]["slug"] = f"diskominfo-{k}"
    province["api_token_env"] = f"K{tag.upper()}_TOKEN"
    portals[k] = province
    (catalogue / "portals.yaml").write_text(yaml.safe_dump(portals))
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    point_pipeline_at(
        monkeypatch, catalogue, portal_env["CKAN_URL"], portal_env["CKAN_API_TOKEN"], tmp_path / "wh.duckdb"
    )
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    organisations = {a: {f"disdag-{a}", f"walidata-{a}"}, b: {f"disdag-{b}", f"walidata-{b}"}, k: {f"diskominfo-{k}"}}
    yield {
        "a": a,
        "b": b,
        "k": k,
        "tag": tag,
        "url": portal_env["CKAN_URL"],
        "admin": admin,
        "env": tmp_path / "publishers.env",
        "organisations": organisations,
        "catalogue": catalogue,
        "variables": {a: f"A{tag.upper()}_TOKEN", b: f"B{tag.upper()}_TOKEN", k: f"K{tag.upper()}_TOKEN"},
    }
    purge(
        admin,
        [
            *(("dataset_purge", f"{slug}-{name}") for slug in (a, b, k) for name in ("harga-pasar", "lain")),
            *(("organization_purge", org) for orgs in organisations.values() for org in orgs),
            *(("user_delete", f"satudata-{slug}") for slug in (a, b, k)),
        ],
    )


def setup(kaltim, capsys, *args: str, status: int = 0) -> str:
    """`satudata portal setup` as the administrator runs it; what it printed (stdout and stderr)."""
    assert main(["portal", "setup", "--env-file", str(kaltim["env"]), *args]) == status
    said = capsys.readouterr()
    return said.out + said.err


def test_setup_makes_each_publisher_an_editor_of_exactly_its_organisations_and_a_rerun_changes_nothing(kaltim, capsys):
    said = setup(kaltim, capsys)
    tokens = read_env(kaltim["env"])
    assert set(tokens) == set(kaltim["variables"].values())
    assert stat.S_IMODE(kaltim["env"].stat().st_mode) == 0o600
    for variable, token in tokens.items():  # the variable's name is told, the token never
        assert variable in said and token not in said
    admin = kaltim["admin"]
    for slug, organisations in kaltim["organisations"].items():
        user = admin.action.user_show(id=f"satudata-{slug}")
        assert not user["sysadmin"]
        held = admin.action.organization_list_for_user(id=user["name"], permission="read")
        assert {org["name"]: org["capacity"] for org in held} == dict.fromkeys(organisations, "editor")
        for group in PILLARS:  # a member may put datasets in the group, and do nothing else there
            members = admin.action.member_list(id=group, object_type="user")
            assert [capacity.lower() for member, _, capacity in members if member == user["id"]] == ["member"]
        own = ckanapi.RemoteCKAN(kaltim["url"], apikey=tokens[kaltim["variables"][slug]])
        me = own.action.user_show()
        assert me["name"] == user["name"] and not me["sysadmin"]
        assert {
            org["name"] for org in own.action.organization_list_for_user(permission="create_dataset")
        } == organisations
    b = admin.action.organization_show(id=f"disdag-{kaltim['b']}")
    assert b["title"] == "Dinas Perindustrian dan Perdagangan Kabupaten Paser"

    # What is wrong is put right (an organisation's title, a membership beyond the catalogue's); what is right
    # is only read: the tokens stay, and a second run changes nothing.
    admin.action.organization_patch(id=b["id"], title="Judul lama")
    admin.action.organization_member_create(id=b["id"], username=f"satudata-{kaltim['a']}", role="editor")
    assert "2 perubahan di portal / changes on the portal" in setup(kaltim, capsys)
    assert admin.action.organization_show(id=b["id"])["title"] == "Dinas Perindustrian dan Perdagangan Kabupaten Paser"
    assert f"disdag-{kaltim['b']}" not in {
        o["name"] for o in admin.action.organization_list_for_user(id=f"satudata-{kaltim['a']}", permission="read")
    }
    assert "0 perubahan di portal / changes on the portal" in setup(kaltim, capsys)
    assert read_env(kaltim["env"]) == tokens

    # A new token for one regency only when asked: the old one is revoked, the others stay.
    setup(kaltim, capsys, "--regency", kaltim["a"], "--new-token")
    rotated = read_env(kaltim["env"])
    variable = kaltim["variables"][kaltim["a"]]
    assert rotated[variable] != tokens[variable] and {**rotated, variable: tokens[variable]} == tokens
    assert Portal(kaltim["url"], rotated[variable]).check_token() == f"satudata-{kaltim['a']}"
    with pytest.raises(PublishError, match="tidak diterima"):
        Portal(kaltim["url"], tokens[variable]).check_token()


def test_setup_refuses_a_shared_or_the_administrators_token_variable_and_a_token_that_is_no_sysadmins(
    kaltim, capsys, monkeypatch
):
    paser = kaltim["catalogue"] / "paser.yaml"
    doc = yaml.safe_load(paser.read_text())
    paser.write_text(yaml.safe_dump({k: v for k, v in doc.items() if k != "api_token_env"}))
    said = setup(kaltim, capsys, status=2)
    assert f"{kaltim['b']}: CKAN_API_TOKEN adalah variabel token administrator" in said
    paser.write_text(yaml.safe_dump({**doc, "api_token_env": kaltim["variables"][kaltim["a"]]}))
    said = setup(kaltim, capsys, status=2)
    assert (
        f"{kaltim['a']}: {kaltim['variables'][kaltim['a']]} dipakai juga oleh / is also used by {kaltim['b']}" in said
    )
    assert not kaltim["env"].exists()
    with pytest.raises(ckanapi.NotFound):  # nothing was made
        kaltim["admin"].action.user_show(id=f"satudata-{kaltim['a']}")

    paser.write_text(yaml.safe_dump(doc))
    setup(kaltim, capsys, "--regency", kaltim["a"])
    monkeypatch.setenv("CKAN_API_TOKEN", read_env(kaltim["env"])[kaltim["variables"][kaltim["a"]]])
    assert "bukan milik sysadmin" in setup(kaltim, capsys, status=2)  # an editor cannot set a portal up


def test_each_regency_publishes_with_its_own_editor_token_and_cannot_write_into_another_regency(
    kaltim, capsys, monkeypatch
):
    setup(kaltim, capsys)
    tokens = read_env(kaltim["env"])
    for variable, token in tokens.items():
        monkeypatch.setenv(variable, token)
    monkeypatch.delenv("CKAN_API_TOKEN")  # the pipeline's environment holds no sysadmin token
    result = run_main_job()
    assert result.success, [f.event_specific_data.error.message for f in result.get_step_failure_events()]
    admin = kaltim["admin"]
    for slug in (kaltim["a"], kaltim["b"], kaltim["k"]):
        package = admin.action.package_show(id=f"{slug}-harga-pasar")
        assert package["organization"]["name"] in kaltim["organisations"][slug] and not package["private"]
        assert [g["name"] for g in package["groups"]] == ["economy"]
        assert package["creator_user_id"] == admin.action.user_show(id=f"satudata-{slug}")["id"]

    # Regency A's token, publishing into regency B's organisation: refused at the first write, named, at once.
    [regency_a] = [r for r in load_regencies() if r.slug == kaltim["a"]]
    b = admin.action.organization_show(id=f"disdag-{kaltim['b']}")
    into_b = Dataset("lain", "harga-pasar/1.0.0", Agency(b["name"], b["title"]), Source("file_drop", {}))
    portal = Portal(kaltim["url"], tokens[kaltim["variables"][kaltim["a"]]])
    with pytest.raises(PublishError) as refused:
        publish(portal, regency_a, into_b, STANDARD, market_prices(), {"run_id": "uji"}, DISTRICTS)
    message = str(refused.value)
    assert refused.value.permanent and portal.writes == ["package_create"]
    assert "tidak berhak" in message and "not allowed" in message and "satudata portal setup" in message
    with pytest.raises(ckanapi.NotFound):
        admin.action.package_show(id=f"{kaltim['a']}-lain")
    own = ckanapi.RemoteCKAN(kaltim["url"], apikey=tokens[kaltim["variables"][kaltim["a"]]])
    with pytest.raises(ckanapi.NotAuthorized):  # nor B's published dataset...
        own.action.package_patch(id=f"{kaltim['b']}-harga-pasar", title="Bukan milik A")
    with pytest.raises(ckanapi.NotAuthorized):  # ...nor its own organisation's metadata: the setup keeps that
        own.action.organization_patch(id=f"disdag-{kaltim['a']}", title="Judul lain")

    # An organisation the setup never made fails at once, telling whom to ask; nothing is written.
    elsewhere = Dataset(
        "lain", "harga-pasar/1.0.0", Agency(f"dishub-{kaltim['a']}", "Dinas Perhubungan"), Source("file_drop", {})
    )
    portal.writes.clear()
    with pytest.raises(PublishError) as missing:
        publish(portal, regency_a, elsewhere, STANDARD, market_prices(), {"run_id": "uji"}, DISTRICTS)
    assert missing.value.permanent and portal.writes == []
    assert f"organisasi dishub-{kaltim['a']} belum ada" in str(missing.value)
    assert "ask the portal's administrator to run `satudata portal setup`" in str(missing.value)
