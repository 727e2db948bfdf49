"""The shared Satu Data standard every stage reads: what a dataset must hold and the reference data it is
checked against.
- `schema.py`: a standard's versioned schema file (fields, keys, Satu Data metadata), loaded strictly;
- `types.py`: the field types, and what each is in the warehouse, the DataStore, the checks and the findings;
- `views.py`: the portal views (table, chart, map) a standard declares;
- `reference.py`: Kemendagri region codes (and their edition changes) and each regency's Data Induk;
- `period.py`: reporting periods (a delivery's month, week or year) and the days a delivery covers;
- `indonesian.py`: month and day names as Indonesian files write them, the one table every stage reads."""

from pipelines.standard.schema import (
    MASTER_DATA,
    Field,
    Frequency,
    SchemaError,
    Standard,
    all_standards,
    code_lists,
    load_standard,
    parse_standard,
)

__all__ = [
    "MASTER_DATA",
    "Field",
    "Frequency",
    "SchemaError",
    "Standard",
    "all_standards",
    "code_lists",
    "load_standard",
    "parse_standard",
]
