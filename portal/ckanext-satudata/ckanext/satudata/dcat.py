"""DCAT profile ``satudata`` (run after ``euro_dcat_ap_3``): the Satu Data fields in DCAT-AP 3 terms where
DCAT-AP has one, and in the ``sd:`` namespace always, so a harvesting portal (the province) receives the full
metadata and reads it back (``parse_dataset``). The feed conforms to the DCAT-AP 3.0 SHACL shapes
(``tests/test_dcat.py``): where DCAT-AP wants a node from a vocabulary, the profile gives the vocabulary's IRI
with the class and scheme a validator checks, so it need not fetch the vocabularies. Mapping:

  frekuensi          -> dct:accrualPeriodicity (EU frequency table)
  klasifikasi        -> dct:accessRights (EU access-right table: PUBLIC / RESTRICTED / NON_PUBLIC)
  periode_awal/akhir -> dct:temporal [dct:PeriodOfTime; dcat:startDate; dcat:endDate]
  cakupan_wilayah, kode_wilayah -> dct:spatial [dct:Location; skos:prefLabel; dct:identifier]
  kontak             -> the one dcat:contactPoint [vcard:Organization; vcard:hasEmail or vcard:hasTelephone]
  produsen_data      -> dct:creator [foaf:Agent; foaf:name]
  sektor             -> dcat:theme: the sector's concept (schemes/sektor.ttl, served at /satudata/skema/sektor)
                        and the EU data theme it matches (skos:broadMatch there)
  pilar              -> dcat:theme: the pillar's concept (schemes/pilar.ttl)
  standar_data       -> dct:conformsTo, a dct:Standard served at /satudata/standar/<name>/<version>
  license_id         -> dct:license of each distribution (DCAT-AP keeps the licence there)
  every Satu Data field (schema.yaml) -> sd:<field> literal, which parse_dataset reads back

Distributions: dct:format from the EU file-type table, dcat:mediaType as an IANA media-type IRI, checksums with
their spdx:algorithm. The catalogue: its publisher, languages (EU language table) and theme taxonomies.
"""

from __future__ import annotations

import os
import re

import ckan.plugins.toolkit as tk
import yaml
from ckanext.dcat.profiles import DCAT, DCT, VCARD, RDFProfile
from ckanext.satudata import schemes
from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, RDF, SKOS, XSD

SD = Namespace("https://w3id.org/satudata/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
EU = "http://publications.europa.eu/resource/authority/"
IANA = "https://www.iana.org/assignments/media-types/"
FREQUENCIES = {
    "Harian": "DAILY",
    "Mingguan": "WEEKLY",
    "Bulanan": "MONTHLY",
    "Triwulanan": "QUARTERLY",
    "Semesteran": "BIANNUAL",
    "Tahunan": "ANNUAL",
    "Ad-hoc": "IRREG",
}
ACCESS_RIGHTS = {"Terbuka": "PUBLIC", "Terbatas": "RESTRICTED", "Tertutup": "NON_PUBLIC"}
LANGUAGES = {"id": "IND", "en": "ENG"}
# The EU data themes with their English labels (skos:Concept needs a label; the EU table has no Indonesian).
EU_THEMES = {
    "AGRI": "Agriculture, fisheries, forestry and food",
    "ECON": "Economy and finance",
    "EDUC": "Education, culture and sport",
    "ENER": "Energy",
    "ENVI": "Environment",
    "GOVE": "Government and public sector",
    "HEAL": "Health",
    "INTR": "International issues",
    "JUST": "Justice, legal system and public safety",
    "REGI": "Regions and cities",
    "SOCI": "Population and society",
    "TECH": "Science and technology",
    "TRAN": "Transport",
}
# CKAN format label -> EU file-type code.
FILE_TYPES = {
    "CSV": "CSV",
    "TSV": "TSV",
    "XLSX": "XLSX",
    "XLS": "XLS",
    "ODS": "ODS",
    "JSON": "JSON",
    "GEOJSON": "GEOJSON",
    "JSON-LD": "JSON_LD",
    "XML": "XML",
    "RDF": "RDF_XML",
    "TTL": "RDF_TURTLE",
    "GPKG": "GPKG",
    "SHP": "SHP",
    "KML": "KML",
    "PDF": "PDF",
    "DOCX": "DOCX",
    "HTML": "HTML",
    "TXT": "TXT",
    "ZIP": "ZIP",
    "PNG": "PNG",
    "JPEG": "JPEG",
}
FILE_TYPE_LABELS = {code: label for label, code in FILE_TYPES.items()}
CHECKSUM = re.compile(r"^(?:(md5|sha1|sha256|sha512):)?([0-9a-f]+)$", re.IGNORECASE)
CHECKSUM_LENGTHS = {32: "md5", 40: "sha1", 64: "sha256", 128: "sha512"}
MEDIA_TYPE = re.compile(r"^[a-z0-9][\w.+-]*/[\w.+-]+$", re.IGNORECASE)


def _satudata_fields() -> tuple[str, ...]:
    """Every Satu Data field of the portal's dataset schema: the fields after CKAN's own."""
    with open(os.path.join(os.path.dirname(__file__), "schema.yaml"), encoding="utf-8") as handle:
        names = [f["field_name"] for f in yaml.safe_load(handle)["dataset_fields"]]
    return tuple(names[names.index("produsen_data") :])


FIELDS = _satudata_fields()


class SatuDataProfile(RDFProfile):
    def graph_from_dataset(self, dataset_dict, dataset_ref):
        g = self.g
        g.bind("sd", SD)
        get = dataset_dict.get
        for name in FIELDS:
            if get(name) not in (None, ""):
                g.add((dataset_ref, SD[name], Literal(str(get(name)))))
        if (dataset_ref, DCT.description, None) not in g and get("title"):
            # DCAT-AP requires a description; a dataset made by hand may have none, and its title says most.
            g.add((dataset_ref, DCT.description, Literal(get("title"))))

        if get("frekuensi") in FREQUENCIES:
            g.remove((dataset_ref, DCT.accrualPeriodicity, None))
            self._vocabulary_value(
                dataset_ref, DCT.accrualPeriodicity, "frequency", FREQUENCIES[get("frekuensi")], DCT.Frequency
            )
        if get("klasifikasi") in ACCESS_RIGHTS:
            g.remove((dataset_ref, DCT.accessRights, None))
            self._vocabulary_value(
                dataset_ref, DCT.accessRights, "access-right", ACCESS_RIGHTS[get("klasifikasi")], DCT.RightsStatement
            )
        if get("periode_awal") or get("periode_akhir"):
            period = BNode()
            g.add((dataset_ref, DCT.temporal, period))
            g.add((period, RDF.type, DCT.PeriodOfTime))
            self._add_date_triple(period, DCAT.startDate, get("periode_awal"))
            self._add_date_triple(period, DCAT.endDate, get("periode_akhir"))
        if get("cakupan_wilayah") or get("kode_wilayah"):
            place = BNode()
            g.add((dataset_ref, DCT.spatial, place))
            g.add((place, RDF.type, DCT.Location))
            if get("cakupan_wilayah"):
                g.add((place, SKOS.prefLabel, Literal(get("cakupan_wilayah"))))
            if get("kode_wilayah"):
                g.add((place, DCT.identifier, Literal(get("kode_wilayah"))))
        if get("kontak"):
            self._contact_point(dataset_ref, get("maintainer") or get("produsen_data") or get("kontak"), get("kontak"))
        for point in g.objects(dataset_ref, DCAT.contactPoint):
            g.add((point, RDF.type, VCARD.Kind))  # the class DCAT-AP checks, without vCard's ontology
        if get("produsen_data"):
            creator = BNode()
            g.add((dataset_ref, DCT.creator, creator))
            g.add((creator, RDF.type, FOAF.Agent))
            g.add((creator, RDF.type, FOAF.Organization))
            g.add((creator, FOAF.name, Literal(get("produsen_data"))))
        self._themes(dataset_ref, get("sektor"), get("pilar"))
        if schemes.STANDARD_REF.match(get("standar_data") or ""):
            g.add((dataset_ref, DCT.conformsTo, schemes.standard_iri(get("standar_data"))))
            g += schemes.standard(get("standar_data"))
        for distribution in g.objects(dataset_ref, DCAT.distribution):
            self._distribution(distribution, get("license_url"), get("license_title"))

    def _vocabulary_value(self, subject, predicate, table, code, kind):
        """`subject predicate <EU table/code>`, the value typed and placed in its table as validators check."""
        value = URIRef(f"{EU}{table}/{code}")
        self.g.add((subject, predicate, value))
        self.g.add((value, RDF.type, kind))
        self.g.add((value, SKOS.inScheme, URIRef(EU + table)))

    def _contact_point(self, dataset_ref, name, contact):
        """One contact point, the Satu Data contact (euro_dcat_ap_3 made one from the maintainer already)."""
        g = self.g
        for node in list(g.objects(dataset_ref, DCAT.contactPoint)):
            g.remove((dataset_ref, DCAT.contactPoint, node))
            g.remove((node, None, None))
        point = BNode()
        g.add((dataset_ref, DCAT.contactPoint, point))
        g.add((point, RDF.type, VCARD.Organization))
        g.add((point, VCARD.fn, Literal(name)))
        if "@" in contact:
            g.add((point, VCARD.hasEmail, URIRef(contact if contact.startswith("mailto:") else f"mailto:{contact}")))
        elif re.fullmatch(r"\+?[\d\s().-]{6,}", contact):
            g.add((point, VCARD.hasTelephone, URIRef("tel:" + re.sub(r"[^\d+]", "", contact))))

    def _themes(self, dataset_ref, sektor, pilar):
        g = self.g
        for name, value in (("sektor", sektor), ("pilar", pilar)):
            found = schemes.concept(name, value) if value else None
            if found is None:
                continue
            scheme = schemes.scheme(name)
            g.add((dataset_ref, DCAT.theme, found))
            g.add((found, RDF.type, SKOS.Concept))
            g.add((found, SKOS.inScheme, schemes.scheme_iri(name)))
            for label in scheme.objects(found, SKOS.prefLabel):
                g.add((found, SKOS.prefLabel, label))
            for eu_theme in scheme.objects(found, SKOS.broadMatch):
                code = str(eu_theme).rsplit("/", 1)[-1]
                if str(eu_theme) == f"{EU}data-theme/{code}" and code in EU_THEMES:
                    g.add((found, SKOS.broadMatch, eu_theme))
                    self._vocabulary_value(dataset_ref, DCAT.theme, "data-theme", code, SKOS.Concept)
                    g.add((eu_theme, SKOS.prefLabel, Literal(EU_THEMES[code], lang="en")))

    def _distribution(self, distribution, license_url, license_title):
        g = self.g
        if license_url and (distribution, DCT.license, None) not in g:
            # DCAT-AP has the licence on each distribution; a harvester reads the dataset's licence from there.
            licence = URIRef(license_url)
            g.add((distribution, DCT.license, licence))
            g.add((licence, RDF.type, DCT.LicenseDocument))
            g.add((licence, DCT.title, Literal(license_title or license_url)))
        for fmt in list(g.objects(distribution, DCT["format"])):
            if isinstance(fmt, Literal):
                g.remove((distribution, DCT["format"], fmt))
                code = FILE_TYPES.get(str(fmt).strip().upper().lstrip("."))
                # A format the EU table does not name travels as its media type only: DCAT-AP takes no other.
                if code:
                    self._vocabulary_value(distribution, DCT["format"], "file-type", code, DCT.MediaTypeOrExtent)
        for media_type in list(g.objects(distribution, DCAT.mediaType)):
            if isinstance(media_type, Literal):
                g.remove((distribution, DCAT.mediaType, media_type))
                if MEDIA_TYPE.match(str(media_type).strip()):
                    iri = URIRef(IANA + str(media_type).strip().lower())
                    g.add((distribution, DCAT.mediaType, iri))
                    g.add((iri, RDF.type, DCT.MediaType))
        for checksum in list(g.objects(distribution, SPDX.checksum)):
            self._checksum(distribution, checksum)

    def _checksum(self, distribution, checksum):
        """CKAN's resource hash names no algorithm; DCAT-AP needs one: the prefix (`sha256:`) or the length."""
        g = self.g
        if g.value(checksum, SPDX.algorithm) is not None:
            return
        found = CHECKSUM.match(str(g.value(checksum, SPDX.checksumValue) or ""))
        algorithm = found and (found.group(1) or CHECKSUM_LENGTHS.get(len(found.group(2))))
        if not algorithm:  # not a checksum a harvester could verify
            g.remove((distribution, SPDX.checksum, checksum))
            g.remove((checksum, None, None))
            return
        iri = SPDX[f"checksumAlgorithm_{algorithm.lower()}"]
        g.set((checksum, SPDX.checksumValue, Literal(found.group(2).lower(), datatype=XSD.hexBinary)))
        g.add((checksum, SPDX.algorithm, iri))
        g.add((iri, RDF.type, SPDX.ChecksumAlgorithm))

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        g = self.g
        g.bind("sd", SD)
        g.remove((catalog_ref, DCT.language, None))
        offered = tk.config.get("ckan.locales_offered") or [tk.config.get("ckan.locale_default", "en")]
        offered = offered.split() if isinstance(offered, str) else offered
        for locale in offered:
            if locale in LANGUAGES:
                self._vocabulary_value(catalog_ref, DCT.language, "language", LANGUAGES[locale], DCT.LinguisticSystem)
        # A named node, not a blank one: a harvester reading the catalogue page by page merges one publisher.
        publisher = URIRef(f"{str(catalog_ref).rstrip('/')}/#penerbit")
        g.add((catalog_ref, DCT.publisher, publisher))
        g.add((publisher, RDF.type, FOAF.Agent))
        g.add((publisher, FOAF.name, Literal(tk.config.get("ckan.site_title"))))
        for homepage in list(g.objects(catalog_ref, FOAF.homepage)):
            if homepage == catalog_ref:  # the site's front page, a foaf:Document, not the catalogue itself
                g.remove((catalog_ref, FOAF.homepage, homepage))
                homepage = URIRef(f"{homepage}/")
                g.add((catalog_ref, FOAF.homepage, homepage))
            g.add((homepage, RDF.type, FOAF.Document))
        eu_themes = URIRef(EU + "data-theme")
        g.add((catalog_ref, DCAT.themeTaxonomy, eu_themes))
        g.add((eu_themes, RDF.type, SKOS.ConceptScheme))
        g.add((eu_themes, DCT.title, Literal("Data theme", lang="en")))
        for name in schemes.SCHEMES:
            iri = schemes.scheme_iri(name)
            g.add((catalog_ref, DCAT.themeTaxonomy, iri))
            g.add((iri, RDF.type, SKOS.ConceptScheme))
            for title in schemes.scheme(name).objects(iri, DCT.title):
                g.add((iri, DCT.title, title))

    def parse_dataset(self, dataset_dict, dataset_ref):
        """A harvester's reading: every Satu Data field from its sd: literal, and the resources' format and
        media type as CKAN labels them (``CSV``, ``text/csv``) instead of the vocabularies' IRIs."""
        for name in FIELDS:
            value = self._object_value(dataset_ref, SD[name])
            if value:
                dataset_dict[name] = value
        distributions = {str(d): d for d in self._distributions(dataset_ref)}
        for resource in dataset_dict.get("resources", []):
            distribution = distributions.get(resource.get("distribution_ref"))
            fmt = distribution is not None and self._object(distribution, DCT["format"])
            if isinstance(fmt, URIRef) and str(fmt).startswith(f"{EU}file-type/"):
                code = str(fmt).rsplit("/", 1)[-1]
                resource["format"] = FILE_TYPE_LABELS.get(code, code)
            if str(resource.get("mimetype", "")).startswith(IANA):
                resource["mimetype"] = resource["mimetype"][len(IANA) :]
        return dataset_dict
