"""A province target (`catalogue/portals.yaml`, `province:`) publishes the integrated marts of its regencies:
one dataset per standard, owned by the province's organisation, holding every member regency's rows led by
the regency's code and name and keyed by regency + the standard's key. It goes through the same
`pipelines.publish.publish` as a regency's dataset."""

import dataclasses

from pipelines.catalogue import Dataset, Province, Regency, Source
from pipelines.standard import Field, Standard
from pipelines.warehouse import REGION_KEY

REGENCY_FIELDS = (
    Field(
        REGION_KEY,
        "string",
        "Kode Kabupaten/Kota",
        required=True,
        pattern=r"^\d{2}\.\d{2}$",
        metadata={"definisi": "Kode Kemendagri kabupaten/kota asal baris / the regency the row comes from"},
    ),
    Field(
        "nama_kabupaten",
        "string",
        "Kabupaten/Kota",
        metadata={"definisi": "Nama kabupaten/kota menurut Kemendagri / the regency's name"},
    ),
)


def members(province: Province, regencies: list[Regency]) -> list[Regency]:
    """The regencies of a province: those whose Kemendagri code starts with the province's code."""
    return [r for r in regencies if r.code.split(".")[0] == province.code]


def province_standard(standard: Standard) -> Standard:
    """The regency standard as the province publishes it: regency code and name first, then the public fields."""
    return dataclasses.replace(
        standard, fields=(*REGENCY_FIELDS, *standard.public_fields), primary_key=(REGION_KEY, *standard.primary_key)
    )


def publication(province: Province, standard: Standard) -> tuple[Regency, Dataset]:
    """The province as the publisher of one integrated dataset (package `<province>-<standard>`)."""
    dataset = Dataset(standard.name, standard.ref, province.organisation, Source("warehouse", {}))
    regency = Regency(
        province.code,
        province.slug,
        province.name,
        province.walidata,
        province.slug,
        province.timezone,
        (province.organisation,),
        (dataset,),
        province.organisation.contact,
    )
    return regency, dataset
