"""One place turns a standard and its catalogue entry into the Satu Data metadata of a CKAN dataset
and the DataStore definition of its table."""

import pandas as pd

from pipelines.catalogue import Dataset, Regency
from pipelines.standard import Standard

DATASTORE_TYPES = {"string": "text", "integer": "int8", "number": "numeric", "date": "date",
                   "datetime": "timestamp", "boolean": "bool"}


def package_name(regency: Regency, dataset: Dataset) -> str:
    return f"{regency.slug}-{dataset.name}"


def period(frame: pd.DataFrame, standard: Standard) -> tuple[str, str]:
    """First and last date the data covers, from the standard's first date field."""
    dates = [f.name for f in standard.fields if f.type in ("date", "datetime")]
    if not dates or frame.empty:
        return "", ""
    column = pd.to_datetime(frame[dates[0]])
    return column.min().date().isoformat(), column.max().date().isoformat()


def package_fields(regency: Regency, dataset: Dataset, standard: Standard, frame: pd.DataFrame) -> dict:
    """The dataset's metadata as CKAN fields; Satu Data fields travel as extras so any CKAN keeps them."""
    meta = standard.metadata
    start, end = period(frame, standard)
    units = sorted({f.metadata["satuan"] for f in standard.fields if "satuan" in f.metadata}) or [meta["satuan"]]
    extras = {
        "produsen_data": dataset.agency.name,
        "walidata": regency.walidata,
        "sektor": meta["sektor"],
        "pilar_smart_city": meta.get("pilar", ""),
        "frekuensi": meta["frekuensi"],
        "tingkat_penyajian": meta["tingkat_penyajian"],
        "cakupan_wilayah": f"{regency.name} ({regency.code})",
        "kode_wilayah": regency.code,
        "klasifikasi": meta["klasifikasi"],
        "satuan": ", ".join(units),
        "periode_awal": start,
        "periode_akhir": end,
        "standar_data": standard.ref,
        "kontak": dataset.agency.contact,
    }
    return {
        "name": package_name(regency, dataset),
        "title": f"{standard.title} - {regency.name}",
        "notes": standard.description,
        "license_id": meta["lisensi"],
        "maintainer": dataset.agency.name,
        "maintainer_email": dataset.agency.contact,
        "tags": [{"name": t} for t in meta.get("tags", [])],
        "private": meta["klasifikasi"] != "Terbuka",
        "extras": [{"key": k, "value": str(v)} for k, v in sorted(extras.items())],
    }


def datastore_fields(standard: Standard) -> list[dict]:
    return [{"id": f.name, "type": DATASTORE_TYPES[f.type],
             "info": {"label": f.title, "notes": f.metadata.get("definisi", "")}} for f in standard.public_fields]
