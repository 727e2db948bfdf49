"""The conformed dimensions (`core.dim_region`, `core.dim_time`, `core.dim_agency`), rewritten only when the
reference data they come from changed."""

import hashlib
from datetime import date

import pandas as pd
import sqlalchemy as sa

from pipelines.indonesian import MONTHS
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
    tables = dimension_tables(sa.MetaData())
    frames = {"dim_region": region_rows, "dim_time": time_rows, "dim_agency": agency_rows}
    digest = hashlib.sha256(
        b"".join(
            pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy().tobytes() for frame in frames.values()
        )
    ).hexdigest()
    # Several code locations (one per province) may share the warehouse: each keeps the agencies of its own
    # regencies and its own digest, so they do not undo each other's loads.
    scope = ",".join(sorted(set(agency_rows["regency_code"])))
    with engine.begin() as connection:
        ensure_layers(connection)
        # The same regions, calendar and agencies as last time: nothing to write (every run passes here).
        connection.exec_driver_sql("CREATE TABLE IF NOT EXISTS core.dimensions_loaded (digest TEXT)")
        connection.exec_driver_sql("ALTER TABLE core.dimensions_loaded ADD COLUMN IF NOT EXISTS scope TEXT")
        loaded = sa.text("SELECT digest FROM core.dimensions_loaded WHERE scope = :scope")
        if connection.execute(loaded, {"scope": scope}).all() == [(digest,)]:
            return {name: len(frame) for name, frame in frames.items()}
        connection.execute(
            sa.text("DELETE FROM core.dimensions_loaded WHERE scope = :scope OR scope IS NULL"), {"scope": scope}
        )
        connection.execute(
            sa.text("INSERT INTO core.dimensions_loaded (scope, digest) VALUES (:scope, :digest)"),
            {"scope": scope, "digest": digest},
        )
        for name, table in tables.items():
            table.create(connection, checkfirst=True)
            if name == "dim_agency":
                connection.execute(
                    sa.text("DELETE FROM core.dim_agency WHERE regency_code IN :codes").bindparams(
                        sa.bindparam("codes", expanding=True)
                    ),
                    {"codes": sorted(set(agency_rows["regency_code"])) or [""]},
                )
            else:
                connection.exec_driver_sql(f"DELETE FROM core.{name}")
            stage(connection, frames[name], {c.name: c.type.compile(dialect=connection.dialect) for c in table.columns})
            connection.exec_driver_sql(f"INSERT INTO core.{name} SELECT * FROM incoming")
            connection.exec_driver_sql("DROP TABLE IF EXISTS incoming")
    return {name: len(frame) for name, frame in frames.items()}
