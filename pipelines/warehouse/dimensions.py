"""The conformed dimensions (`core.dim_region`, `core.dim_time`, `core.dim_agency`), each rewritten only when
the reference data it comes from changed."""

import hashlib
from datetime import date

import pandas as pd
import sqlalchemy as sa

from pipelines.standard.indonesian import MONTHS
from pipelines.warehouse.merging import stage
from pipelines.warehouse.tables import dimension_tables, ensure_layers


def load_dimensions(
    engine: sa.Engine,
    regions: pd.DataFrame,
    agencies: list[tuple[str, str, str]],
    first: date = date(2000, 1, 1),
    last: date = date(2035, 12, 31),
) -> dict[str, int]:
    """Replace the conformed dimensions: regions (with the codes of their province, regency and district,
    so any fact rolls up), a calendar, and the agencies (slug, name, regency code) of every catalogue."""
    code = regions["code"]
    region_rows = regions.assign(
        province_code=code.str.slice(0, 2),
        regency_code=code.str.slice(0, 5).where(code.str.len() >= 5),
        district_code=code.str.slice(0, 8).where(code.str.len() >= 8),
        edition=regions.attrs.get("edition", ""),
    )
    days = pd.Series(pd.date_range(first, last, freq="D"))
    time_rows = pd.DataFrame(
        {
            "date": days.dt.date,
            "year": days.dt.year,
            "quarter": days.dt.quarter,
            "month": days.dt.month,
            "day": days.dt.day,
            "month_name": days.dt.month.map({n: words[0].capitalize() for n, words in MONTHS.items()}),
        }
    )
    agency_rows = pd.DataFrame(agencies, columns=["agency", "name", "regency_code"])
    frames = {"dim_region": region_rows, "dim_time": time_rows, "dim_agency": agency_rows}
    # Several code locations (one per province) may share the warehouse: regions and calendar are everyone's,
    # the agencies each location's own (by its regencies), so a location rewrites only what changed for it and
    # never undoes another's agencies.
    codes = sorted(set(agency_rows["regency_code"]))
    scopes = {"dim_region": "dim_region", "dim_time": "dim_time", "dim_agency": "dim_agency:" + ",".join(codes)}
    with engine.begin() as connection:
        ensure_layers(connection)
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS core.dimensions_loaded (digest TEXT)")
        connection.exec_driver_sql("ALTER TABLE core.dimensions_loaded ADD COLUMN IF NOT EXISTS scope TEXT")
        # one digest per location, from before each dimension had its own: rewritten once, then dropped
        connection.execute(
            sa.text("DELETE FROM core.dimensions_loaded WHERE scope IS NULL OR substr(scope, 1, 4) <> :prefix"),
            {"prefix": "dim_"},
        )
        loaded = dict(connection.execute(sa.text("SELECT scope, digest FROM core.dimensions_loaded")).all())
        for name, table in dimension_tables(sa.MetaData()).items():
            digest = _digest(frames[name])
            if loaded.get(scopes[name]) == digest:  # the same rows as last time: nothing to write (every run)
                continue
            table.create(connection, checkfirst=True)
            if name == "dim_agency":
                connection.execute(
                    sa.text("DELETE FROM core.dim_agency WHERE regency_code IN :codes").bindparams(
                        sa.bindparam("codes", expanding=True)
                    ),
                    {"codes": codes or [""]},
                )
            else:
                connection.exec_driver_sql(f"DELETE FROM core.{name}")
            stage(connection, frames[name], {c.name: c.type.compile(dialect=connection.dialect) for c in table.columns})
            connection.exec_driver_sql(f"INSERT INTO core.{name} SELECT * FROM incoming")
            connection.exec_driver_sql("DROP TABLE IF EXISTS incoming")
            connection.execute(
                sa.text("DELETE FROM core.dimensions_loaded WHERE scope = :scope"), {"scope": scopes[name]}
            )
            connection.execute(
                sa.text("INSERT INTO core.dimensions_loaded (scope, digest) VALUES (:scope, :digest)"),
                {"scope": scopes[name], "digest": digest},
            )
    return {name: len(frame) for name, frame in frames.items()}


def _digest(frame: pd.DataFrame) -> str:
    return hashlib.sha256(pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes()).hexdigest()
