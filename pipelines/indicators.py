"""The long tail of the Daftar Data: a dataset of the generic indicator standard (schemas/indikator) is one
indicator, named with its unit and definition in its catalogue entry's `indikator:` block. It is given a
standard of its own, named after the dataset, so each indicator has its own chain of steps, warehouse table and
portal dataset with its own title, definition and unit, while the standard it names (`standar_data`) stays the
generic one."""

from dataclasses import replace

from pipelines.catalogue import INDICATOR_STANDARD, Dataset
from pipelines.standard import Standard

OVERRIDES = ("sektor", "pilar", "frekuensi")  # what an indicator may set differently from the generic standard


def for_dataset(standard: Standard, dataset: Dataset) -> Standard:
    """The standard a dataset is delivered by: the generic indicator standard made this dataset's indicator,
    any other standard as it is."""
    if standard.name != INDICATOR_STANDARD or not dataset.indicator:
        return standard
    block = dataset.indicator
    metadata = {
        **standard.metadata,
        **{key: block[key] for key in OVERRIDES if block.get(key)},
        "satuan": block["satuan"],
        "indikator": block,
    }
    return replace(
        standard,
        name=f"{INDICATOR_STANDARD}-{dataset.name}",
        generic=standard.name,
        title=block["nama"],
        description=f"{block['definisi']} ({standard.title}, {standard.ref})",
        metadata=metadata,
    )
