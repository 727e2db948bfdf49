"""One place turns a standard and its catalogue entry into the Satu Data metadata of a CKAN dataset
(the top-level fields of the portal's scheming schema, `portal/ckanext-satudata/.../schema.yaml`), its
data dictionary and the DataStore definition of its table."""

import csv
import io

from pipelines.catalogue import Dataset, Regency
from pipelines.standard import Standard
from pipelines.standard.types import FIELD_TYPES

# The six smart-city pillars: one CKAN group each (name, title).
PILLARS = {
    "governance": "Smart Governance",
    "society": "Smart Society",
    "branding": "Smart Branding",
    "environment": "Smart Environment",
    "economy": "Smart Economy",
    "living": "Smart Living",
}
# Scheming fields that record where a publication came from; they never make a change by themselves.
PROVENANCE = {
    "run_id": "satudata_run_id",
    "raw_sha256": "satudata_raw_sha256",
    "validated_at": "terakhir_divalidasi",
    "validation_status": "status_validasi",
}


def package_name(regency: Regency, dataset: Dataset) -> str:
    return f"{regency.slug}-{dataset.name}"


def satudata_fields(regency: Regency, dataset: Dataset, standard: Standard, period: tuple[str, str]) -> dict:
    """The Satu Data block: every field the portal's schema requires is always present. `period`: the first
    and last date the table covers (its coverage field), or empty."""
    meta = standard.metadata
    start, end = period
    units = sorted({f.metadata["satuan"] for f in standard.fields if "satuan" in f.metadata}) or [meta["satuan"]]
    fields = {
        "produsen_data": dataset.agency.name,
        "walidata": regency.walidata,
        "sektor": meta["sektor"],
        "pilar": meta["pilar"],
        "frekuensi": meta["frekuensi"],
        "tingkat_penyajian": meta["tingkat_penyajian"],
        "cakupan_wilayah": f"{regency.name} ({regency.code})",
        "kode_wilayah": regency.code,
        "klasifikasi": meta["klasifikasi"],
        "satuan": ", ".join(units),
        "standar_data": standard.ref,
        "kontak": dataset.agency.contact,
    }
    if start:
        fields |= {"periode_awal": start, "periode_akhir": end}
    return fields


def package_fields(regency: Regency, dataset: Dataset, standard: Standard, period: tuple[str, str]) -> dict:
    """The dataset's metadata as CKAN fields: core fields, the Satu Data block as top-level scheming
    fields, and the pillar's group."""
    meta = standard.metadata
    if meta.get("pilar") not in PILLARS:
        raise ValueError(f"{standard.ref}: satudata.pilar is {meta.get('pilar')!r}; allowed: {sorted(PILLARS)}")
    return {
        "name": package_name(regency, dataset),
        "title": f"{standard.title} - {regency.name}",
        "notes": standard.description,
        "license_id": meta["lisensi"],
        "maintainer": dataset.agency.name,
        "maintainer_email": dataset.agency.contact,
        "tags": [{"name": t} for t in meta.get("tags", [])],
        "groups": [{"name": meta["pilar"]}],
        "private": meta["klasifikasi"] != "Terbuka",
        **satudata_fields(regency, dataset, standard, period),
    }


def provenance_fields(provenance: dict[str, str]) -> dict:
    """Provenance as scheming fields (run id, raw checksum, last validated, validation status)."""
    return {PROVENANCE.get(k, f"satudata_{k}"): v for k, v in sorted(provenance.items()) if v not in (None, "")}


def datastore_fields(standard: Standard) -> list[dict]:
    return [
        {
            "id": f.name,
            "type": FIELD_TYPES[f.type].datastore,
            "info": {
                "label": f.title,
                "notes": f.metadata.get("definisi", ""),
                "type_override": FIELD_TYPES[f.type].datastore,
            },
        }
        for f in standard.public_fields
    ]


def data_dictionary(standard: Standard) -> bytes:
    """Kamus data: one row per published field, from the standard (UTF-8 CSV)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        [
            "kolom",
            "judul",
            "tipe",
            "tipe_datastore",
            "kunci_utama",
            "wajib",
            "satuan",
            "konsep",
            "definisi",
            "domain_nilai",
            "pola",
            "minimum",
            "maksimum",
            "kode_referensi",
            "aturan_validasi",
            "standar_data",
        ]
    )
    for f in standard.public_fields:
        writer.writerow(
            [
                f.name,
                f.title,
                f.type,
                FIELD_TYPES[f.type].datastore,
                "ya" if f.name in standard.primary_key else "",
                "ya" if f.required else "",
                f.metadata.get("satuan", ""),
                f.metadata.get("konsep", ""),
                f.metadata.get("definisi", ""),
                " | ".join(map(str, f.enum)) if f.enum else "",
                f.pattern or "",
                "" if f.minimum is None else f.minimum,
                "" if f.maximum is None else f.maximum,
                f.code_list or "",
                f.metadata.get("aturan_validasi", ""),
                standard.ref,
            ]
        )
    return out.getvalue().encode("utf-8")
