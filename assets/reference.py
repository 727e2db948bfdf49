"""Kode Referensi as assets: the Kemendagri region table everything else checks against."""

import dagster as dg
import pandas as pd

from assets.resources import StateResource
from pipelines.catalogue import load_reference_config
from pipelines.reference import load_regions

REGIONS_KEY = dg.AssetKey(["reference", "kemendagri_regions"])


@dg.asset(key=REGIONS_KEY, group_name="reference",
          description="Kode wilayah Kemendagri (provinsi, kabupaten, kecamatan, desa), edisi 2025.")
def kemendagri_regions(context: dg.AssetExecutionContext, state: StateResource) -> pd.DataFrame:
    table = load_regions(load_reference_config(), state.reference_cache)
    counts = table["level"].value_counts().to_dict()
    context.add_output_metadata({"edition": table.attrs["edition"], "rows": len(table),
                                 **{f"count_{level}": int(n) for level, n in counts.items()}})
    return table
