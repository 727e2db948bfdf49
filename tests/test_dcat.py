"""The DCAT feed a province harvests, on the real local portal: the whole catalogue (/catalog.ttl, every page)
conforms to the DCAT-AP 3.0 SHACL shapes pinned in tests/data/dcat-ap-3/ (no violation), its vocabulary IRIs
dereference, and ckanext-dcat's own parser, with the portal's profiles, reads every Satu Data field of a
published dataset back with its value."""

import json
import os
import subprocess
import uuid

import ckanapi
import pandas as pd
import pytest
import requests
import yaml
from pyshacl import validate
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF, SH, SKOS

from pipelines.catalogue import Agency, Dataset, Regency, Source
from pipelines.publish import ALL_DOWNLOADS, Portal, publish
from pipelines.publish.portal_setup import ensure_organisation, ensure_pillar_groups
from pipelines.standard import load_standard
from tests.conftest import ROOT, SERVICES_STATE

SHAPES = ROOT / "tests" / "data" / "dcat-ap-3"
EXTENSION = ROOT / "portal" / "ckanext-satudata" / "ckanext" / "satudata"
SCHEMA = EXTENSION / "schema.yaml"
EU = "http://publications.europa.eu/resource/authority/"
# Open namespaces: pytest probes a test module's attributes, which rdflib's closed ones warn about.
DCAT = Namespace("http://www.w3.org/ns/dcat#")
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
MDR = Namespace("http://data.europa.eu/r5r#")
STANDARD = load_standard("harga-pasar/1.0.0")


def satudata_fields() -> list[str]:
    """The Satu Data fields of the portal's dataset schema (those after CKAN's own)."""
    names = [f["field_name"] for f in yaml.safe_load(SCHEMA.read_text())["dataset_fields"]]
    return names[names.index("produsen_data") :]


def shapes() -> Graph:
    graph = Graph()
    for path in sorted(SHAPES.glob("*.ttl")):
        graph.parse(path)
    # The controlled-vocabulary shapes want checksum algorithms under https://spdx.org/rdf/terms, while
    # DCAT-AP 3.0.1 itself (and SPDX) name them in http://spdx.org/rdf/terms#: that one pattern is left out
    # (README.md beside the shapes).
    graph.remove((MDR.ChecksumAlgorithmRestriction, SH.pattern, None))
    return graph


def violations(data: Graph) -> list[str]:
    conforms, report, _ = validate(data, shacl_graph=shapes(), allow_warnings=True)
    found = [
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: {report.value(r, SH.resultMessage)}"
        for r in report.objects(None, SH.result)
        if report.value(r, SH.resultSeverity) == SH.Violation
    ]
    assert conforms == (not found)
    return found


def feed_pages(url: str) -> list[str]:
    """/catalog.ttl page by page, as a harvester reads it, until a page holds no dataset."""
    pages = []
    while True:
        response = requests.get(f"{url}/catalog.ttl", params={"page": len(pages) + 1}, timeout=120)
        assert response.status_code == 200, response.text[:300]
        if (None, RDF.type, DCAT.Dataset) not in Graph().parse(data=response.text, format="turtle"):
            return pages
        pages.append(response.text)


@pytest.fixture(scope="module")
def published(portal_env):
    """A dataset published by the pipeline with its full Satu Data metadata and three resources, beside a plain
    CKAN dataset made by hand (no standard, no description, a format no vocabulary lists, a hash that is no
    checksum): the feed must hold both."""
    slug = f"d{uuid.uuid4().hex[:6]}"
    agency = Agency(f"disdag-{slug}", f"Dinas Perdagangan Uji {slug}", "Produsen data uji", "disdag@uji.go.id")
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
    admin = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    ensure_pillar_groups(portal)
    ensure_organisation(portal, agency)
    commodities = list(STANDARD.fields[4].enum[:3])
    frame = pd.DataFrame(
        [
            {
                "tanggal": pd.Timestamp("2026-10-01") + pd.Timedelta(days=d),
                "kode_kecamatan": "64.09.01",
                "kode_pasar": "PNJ-01",
                "nama_pasar": "Pasar Induk Penajam",
                "komoditas": c,
                "satuan": "kg",
                "harga": 10_000 + 100 * d + i,
            }
            for d in range(3)
            for i, c in enumerate(commodities)
        ]
    )
    publish(
        portal,
        regency,
        dataset,
        STANDARD,
        frame,
        {"run_id": "run-dcat", "raw_sha256": "ab" * 32},
        {"64.09.01"},
        downloads=ALL_DOWNLOADS,
    )
    plain = admin.action.package_create(
        name=f"{slug}-peta-manual",
        title="Peta manual",
        owner_org=agency.slug,
        license_id="odc-by",
        maintainer="Bappeda Uji",
        maintainer_email="bappeda@uji.go.id",
        resources=[
            {
                "url": "https://example.org/peta.gpkg",
                "name": "peta.gpkg",
                "format": "GPKG",
                "mimetype": "application/geopackage+sqlite3",
                "hash": "bukan-checksum",
                "size": 2048,
            },
            {"url": "https://example.org/aplikasi", "name": "aplikasi", "format": "Tautan aplikasi"},
        ],
    )
    yield {
        "package": admin.action.package_show(id=f"{slug}-harga-pasar"),
        "plain": plain,
        "url": portal_env["CKAN_URL"],
    }
    for action, name in (
        ("dataset_purge", f"{slug}-harga-pasar"),
        ("dataset_purge", plain["name"]),
        ("organization_purge", agency.slug),
    ):
        try:
            admin.call_action(action, {"id": name})
        except ckanapi.NotFound:
            pass


def test_every_standard_names_a_sector_and_pillar_of_the_schemes():
    """A standard whose sektor the scheme does not hold would publish datasets without a theme."""
    labels = {}
    for name in ("sektor", "pilar"):
        scheme = Graph().parse(EXTENSION / "schemes" / f"{name}.ttl", publicID=f"http://portal/satudata/skema/{name}")
        labels[name] = {
            " ".join(str(o).split()).casefold()
            for p in (SKOS.prefLabel, SKOS.altLabel, SKOS.notation)
            for o in scheme.objects(None, p)
        }
        assert all(
            (c, SKOS.inScheme, URIRef(f"http://portal/satudata/skema/{name}")) in scheme
            for c in scheme.subjects(RDF.type, SKOS.Concept)
        )
    for path in sorted((ROOT / "schemas").glob("*/*.yaml")):
        meta = yaml.safe_load(path.read_text())["satudata"]
        for name in ("sektor", "pilar"):
            assert " ".join(meta[name].split()).casefold() in labels[name], (path, meta[name])


def test_the_whole_feed_conforms_to_dcat_ap_3(published):
    url, package = published["url"], published["package"]
    catalogue = Graph()
    for page in feed_pages(url):
        catalogue.parse(data=page, format="turtle")
    ours = URIRef(f"{url}/dataset/{package['id']}")
    assert (ours, RDF.type, DCAT.Dataset) in catalogue
    assert (URIRef(f"{url}/dataset/{published['plain']['id']}"), RDF.type, DCAT.Dataset) in catalogue
    assert violations(catalogue) == []

    # The shapes do reject what the feed used to say: a theme as a literal.
    broken = Graph() + catalogue
    broken.add((ours, DCAT.theme, Literal(package["sektor"])))
    assert any("theme" in v for v in violations(broken))

    # Themes: the sector's and the pillar's concepts, and the EU data theme the sector matches.
    themes = set(catalogue.objects(ours, DCAT.theme))
    assert {
        URIRef(f"{url}/satudata/skema/sektor#perdagangan"),
        URIRef(f"{url}/satudata/skema/pilar#economy"),
        URIRef(f"{EU}data-theme/ECON"),
    } == themes
    assert (ours, DCTERMS.conformsTo, URIRef(f"{url}/satudata/standar/harga-pasar/1.0.0")) in catalogue
    formats = {str(catalogue.value(d, DCTERMS["format"])) for d in catalogue.objects(ours, DCAT.distribution)}
    assert formats == {f"{EU}file-type/CSV", f"{EU}file-type/XLSX", f"{EU}file-type/JSON"}  # JSON: metadata statistik
    media_types = {str(catalogue.value(d, DCAT.mediaType)) for d in catalogue.objects(ours, DCAT.distribution)}
    assert media_types == {
        "https://www.iana.org/assignments/media-types/text/csv",
        "https://www.iana.org/assignments/media-types/application/json",
        "https://www.iana.org/assignments/media-types/application/"
        "vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    # the uploaded files (data dictionary, metadata statistik) carry CKAN's MD5 hash, each with its algorithm
    checksums = [c for d in catalogue.objects(ours, DCAT.distribution) for c in catalogue.objects(d, SPDX.checksum)]
    assert checksums and all(catalogue.value(c, SPDX.algorithm) == SPDX.checksumAlgorithm_md5 for c in checksums)
    sizes = [s for d in catalogue.objects(ours, DCAT.distribution) for s in catalogue.objects(d, DCAT.byteSize)]
    assert sizes and all(s.datatype == XSD.nonNegativeInteger and s.toPython() > 0 for s in sizes)

    # Every vocabulary IRI of the portal's own dereferences to a document that describes it.
    for iri in (*(t for t in themes if str(t).startswith(url)), catalogue.value(ours, DCTERMS.conformsTo)):
        response = requests.get(str(iri), headers={"Accept": "text/turtle"}, timeout=30)
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/turtle"), iri
        described = Graph().parse(data=response.text, format="turtle")
        assert (iri, RDF.type, None) in described, iri
    sectors = Graph().parse(data=requests.get(f"{url}/satudata/skema/sektor", timeout=30).text, format="turtle")
    assert (
        URIRef(f"{url}/satudata/skema/sektor#perdagangan"),
        SKOS.prefLabel,
        Literal("Perdagangan", lang="id"),
    ) in sectors
    assert requests.get(f"{url}/satudata/standar/harga-pasar/9.9.9", timeout=30).status_code == 404


def test_a_harvester_reads_back_every_satudata_field(published, tmp_path):
    url, package = published["url"], published["package"]
    fields = satudata_fields()
    assert [name for name in fields if not package.get(name)] == []  # the dataset carries every field
    files = []
    for number, page in enumerate(feed_pages(url), start=1):
        files.append(tmp_path / f"catalog-{number}.ttl")
        files[-1].write_text(page, encoding="utf-8")
    read = subprocess.run(
        [str(ROOT / "portal" / ".venv" / "bin" / "python"), str(ROOT / "tests" / "dcat_read.py"), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "CKAN_INI": str(SERVICES_STATE / "portal" / "ckan.ini")},
    )
    assert read.returncode == 0, read.stderr[-2000:]
    harvested = {next(e["value"] for e in d["extras"] if e["key"] == "uri"): d for d in json.loads(read.stdout)}
    back = harvested[f"{url}/dataset/{package['id']}"]

    assert {name: back.get(name) for name in fields} == {name: package[name] for name in fields}
    assert (back["title"], back["notes"], back["license_id"]) == (
        package["title"],
        package["notes"],
        package["license_id"],
    )
    assert sorted(t["name"] for t in back["tags"]) == sorted(t["name"] for t in package["tags"])
    assert sorted((r["name"], r["format"], r["mimetype"]) for r in back["resources"]) == sorted(
        (r["name"], r["format"], r["mimetype"]) for r in package["resources"]
    )
    # A format the EU file-type table names comes back; one it does not name travels as its media type only.
    plain = harvested[f"{url}/dataset/{published['plain']['id']}"]
    assert (plain["license_id"], plain["contact"][0]["email"]) == ("odc-by", "bappeda@uji.go.id")
    assert sorted((r["name"], r.get("format"), r.get("mimetype")) for r in plain["resources"]) == [
        ("aplikasi", None, None),
        ("peta.gpkg", "GPKG", "application/geopackage+sqlite3"),
    ]
