"""The integrated warehouse, reached through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL by
URL in production. Layers show in the schema names:

- `core.<standard>`: the current facts, one row per regency and natural key, with lineage on every row
  (source file and row, batch, run, load time, and `_version`, the warehouse version that wrote it);
  `core.<standard>_history`: every earlier version of a corrected or deleted row, with valid_from / valid_to;
  `core.<standard>_deleted`: the keys each version deleted; `core.load_log`: every merge;
  `core.dim_region`, `core.dim_time`, `core.dim_agency`: the conformed dimensions;
- `marts.<standard>`: the facts of all regencies with region names rolled up village -> province.
A batch as the agency sent it lives in the raw archive (bytes) and the staged Parquet file (typed rows), so
the warehouse keeps no copy of it: a merge writes what changed, not the batch again.

- `tables.py`: the one place that turns a standard into DDL (a field a standard gains is added by an
  Alembic operation);
- `merging.py`: one join of the batch with the regency's rows picks what is new, changed or gone (DuckDB
  scans the staged Parquet file or the DataFrame where it lies; PostgreSQL first takes the batch with COPY,
  written as CSV by an in-memory DuckDB), and set-based statements merge that change set by the natural key,
  all in one transaction, so a failed or killed load leaves the warehouse as it was;
- `reading.py`: what changed since a version (what the portal lacks), and the facts as they were at a moment;
- `dimensions.py`: the conformed dimensions.
Tables that hold history are never dropped."""

from pipelines.warehouse.dimensions import load_dimensions
from pipelines.warehouse.merging import MergeResult, content_digest, merge, merged_batches
from pipelines.warehouse.reading import ChangeSet, PublishedTable, as_of, changes, read_published, versions
from pipelines.warehouse.tables import (
    AGENCY_KEY,
    REGION_KEY,
    create_engine,
    ensure_table,
    fact_table,
    table_name,
)

__all__ = [
    "AGENCY_KEY",
    "REGION_KEY",
    "ChangeSet",
    "MergeResult",
    "PublishedTable",
    "as_of",
    "changes",
    "content_digest",
    "create_engine",
    "ensure_table",
    "fact_table",
    "load_dimensions",
    "merge",
    "merged_batches",
    "read_published",
    "table_name",
    "versions",
]
