"""DCAT profile ``satudata`` (run after ``euro_dcat_ap_3``): the Satu Data fields in DCAT / DCAT-AP terms
where DCAT has one, and in the ``sd:`` namespace where it has none, so a harvesting portal (the
province) receives the full metadata. Mapping:

  frekuensi          -> dct:accrualPeriodicity (EU frequency authority table)
  klasifikasi        -> dct:accessRights (EU access-right table: PUBLIC / RESTRICTED / NON_PUBLIC)
  periode_awal/akhir -> dct:temporal [dct:PeriodOfTime; dcat:startDate; dcat:endDate]
  cakupan_wilayah, kode_wilayah -> dct:spatial [dct:Location; skos:prefLabel; dct:identifier]
  kontak             -> dcat:contactPoint [vcard:Kind; vcard:hasEmail]
  produsen_data      -> dct:creator [foaf:Organization; foaf:name]
  sektor, pilar      -> dcat:theme / dcat:keyword as literals, and sd:sektor / sd:pilar
  standar_data       -> dct:conformsTo
  everything else    -> sd:<field> literals (walidata, satuan, tingkat_penyajian, validation, provenance)
"""
from __future__ import annotations

from rdflib import BNode, Literal, Namespace, URIRef
from rdflib.namespace import FOAF, RDF, SKOS

from ckanext.dcat.profiles import DCAT, DCT, VCARD, RDFProfile

SD = Namespace("https://w3id.org/satudata/ns#")
FREQ = "http://publications.europa.eu/resource/authority/frequency/"
ACCESS = "http://publications.europa.eu/resource/authority/access-right/"
FREQUENCIES = {"Harian": "DAILY", "Mingguan": "WEEKLY", "Bulanan": "MONTHLY", "Triwulanan": "QUARTERLY",
               "Semesteran": "BIANNUAL", "Tahunan": "ANNUAL", "Ad-hoc": "IRREG"}
ACCESS_RIGHTS = {"Terbuka": "PUBLIC", "Terbatas": "RESTRICTED", "Tertutup": "NON_PUBLIC"}
PLAIN = ("produsen_data", "walidata", "sektor", "pilar", "frekuensi", "periode_awal", "periode_akhir", "satuan",
         "tingkat_penyajian", "cakupan_wilayah", "kode_wilayah", "klasifikasi", "kontak", "standar_data",
         "terakhir_divalidasi", "status_validasi", "satudata_raw_sha256", "satudata_run_id",
         "satudata_content_sha256")


class SatuDataProfile(RDFProfile):

    def graph_from_dataset(self, dataset_dict, dataset_ref):
        g = self.g
        g.bind("sd", SD)
        get = dataset_dict.get
        for name in PLAIN:
            if get(name) not in (None, ""):
                g.add((dataset_ref, SD[name], Literal(str(get(name)))))

        if get("frekuensi") in FREQUENCIES:
            g.remove((dataset_ref, DCT.accrualPeriodicity, None))
            g.add((dataset_ref, DCT.accrualPeriodicity, URIRef(FREQ + FREQUENCIES[get("frekuensi")])))
        if get("klasifikasi") in ACCESS_RIGHTS:
            g.remove((dataset_ref, DCT.accessRights, None))
            g.add((dataset_ref, DCT.accessRights, URIRef(ACCESS + ACCESS_RIGHTS[get("klasifikasi")])))
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
            contact = BNode()
            g.add((dataset_ref, DCAT.contactPoint, contact))
            g.add((contact, RDF.type, VCARD.Kind))
            g.add((contact, VCARD.fn, Literal(get("maintainer") or get("produsen_data") or get("kontak"))))
            email = get("kontak")
            if "@" in email:
                g.add((contact, VCARD.hasEmail, URIRef(email if email.startswith("mailto:") else f"mailto:{email}")))
        if get("produsen_data"):
            creator = BNode()
            g.add((dataset_ref, DCT.creator, creator))
            g.add((creator, RDF.type, FOAF.Organization))
            g.add((creator, FOAF.name, Literal(get("produsen_data"))))
        for name in ("sektor", "pilar"):
            if get(name):
                g.add((dataset_ref, DCAT.theme, Literal(get(name))))
        if get("standar_data"):
            g.add((dataset_ref, DCT.conformsTo, Literal(get("standar_data"))))

    def graph_from_catalog(self, catalog_dict, catalog_ref):
        self.g.bind("sd", SD)
