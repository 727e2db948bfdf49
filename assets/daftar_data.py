"""Every regency's Daftar Data with each entry's status of the day, published as the open dataset
`<regency>-daftar-data-<year>` by the regency's walidata. One run covers every regency of the code location,
as the compliance scorecard does: the statuses are cheap to compute from what the pipeline already records,
the Dagster instance (each delivery's raw step, each publication), the warehouse load log (the check passed)
and the quarantine reports (the check failed, and why)."""

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from assets.daily import daily
from assets.datasets import Delivery, asset_key
from assets.each_regency import publish_each
from assets.keys import key
from assets.reference import REGIONS_KEY
from assets.resources import PortalsResource, StateResource, WarehouseResource
from pipelines import warehouse
from pipelines.catalogue import Dataset, Regency, Source
from pipelines.publish import publish
from pipelines.raw import RawFile, batch_id
from pipelines.standard import load_standard
from pipelines.stewardship.daftar_data import (
    DaftarData,
    Events,
    daftar_data_of,
    entry_status,
    files_without_regency,
    returned_reasons,
    status_table,
)
from pipelines.stewardship.scorecard import walidata_agency
from pipelines.validation.privacy import district_codes
from pipelines.validation.quarantine import decision_for

GROUP = "daftar_data"
STANDARD_REF = "daftar-data/1.0.0"
JOB = "daftar_data_job"
PAGE = 100  # materialization records read at a time


def daftar_data_definitions(regencies: list[Regency], deliveries: list[Delivery]) -> dg.Definitions:
    standard = load_standard(STANDARD_REF)

    @dg.asset(
        key=key("daftar_data", "portal"),
        group_name=GROUP,
        kinds={"ckan"},
        ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
        description="Daftar Data tahunan setiap kabupaten/kota dengan status hari ini / every regency's "
        "yearly Daftar Data with the status of the day.",
    )
    def daftar_data_portal(
        context: dg.AssetExecutionContext,
        regions: pd.DataFrame,
        state: StateResource,
        warehouse_db: WarehouseResource,
        portals: PortalsResource,
    ) -> dg.MaterializeResult:
        moment = datetime.now(timezone.utc)
        unread = {
            name: "tidak ada kabupaten/kota di katalog untuk berkas ini / no regency of the catalogue for this file"
            for name in files_without_regency(regencies)
        }

        def publish_lists(regency: Regency) -> dict[str, str]:
            mine = {d.dataset.name: d for d in deliveries if d.regency.slug == regency.slug}
            published = {}
            for daftar in daftar_data_of(regency):
                frame = daftar_table(context.instance, daftar, mine, warehouse_db.engine(), state, moment)
                result = publish(
                    portals.client(regency.portal, regency.api_token_env),
                    regency,
                    _published_as(daftar),
                    standard,
                    frame,
                    {"run_id": context.run_id},
                    district_codes(regions),
                )
                published[result.dataset] = result.url
            return published

        return publish_each(regencies, publish_lists, ("Daftar Data", "Daftar Data"), failed=unread)

    # Just after midnight on every Indonesian clock (00:15 WIB is 01:15 WITA, 02:15 WIT): a due date that
    # passed yesterday shows as `terlambat` on the day after it.
    return daily(
        daftar_data_portal,
        JOB,
        "Daftar Data dan statusnya, semua kabupaten/kota / every regency's Daftar Data with its statuses",
        "daftar_data_harian",
        "15 0 * * *",
    )


def _published_as(daftar: DaftarData) -> Dataset:
    return Dataset(
        name=daftar.name, schema=STANDARD_REF, agency=walidata_agency(daftar.regency), source=Source("computed", {})
    )


def daftar_table(
    instance: dg.DagsterInstance,
    daftar: DaftarData,
    deliveries: dict[str, Delivery],
    engine,
    state: StateResource,
    moment: datetime,
) -> pd.DataFrame:
    """The Daftar Data with each entry's status at `moment`; `deliveries` of its regency, by dataset."""
    zone = ZoneInfo(daftar.regency.timezone)
    events = {e.dataset: events_of(instance, deliveries[e.dataset], engine, state, moment) for e in daftar.entries}
    statuses = {e.dataset: entry_status(e, events[e.dataset], moment, zone) for e in daftar.entries}
    return status_table(
        daftar, statuses, events, {e.dataset: deliveries[e.dataset].standard.title for e in daftar.entries}
    )


def events_of(
    instance: dg.DagsterInstance, delivery: Delivery, engine, state: StateResource, moment: datetime
) -> Events:
    """What the pipeline recorded for a regency's dataset up to `moment`."""
    regency, dataset = delivery.regency, delivery.dataset
    raw = next(_materializations(instance, delivery, "raw", moment), None)
    published = next(
        (
            r
            for r in _materializations(instance, delivery, "portal", moment)
            if r.asset_materialization.metadata["publication_status"].value == "published"
        ),
        None,
    )
    if raw is None:
        return Events(published_at=_at(published))
    # The raw step records the delivery's files by SHA-256, which name its batch in the warehouse's load log
    # and in the quarantine.
    files = [
        RawFile(name, sha256, 0, "", "", "")
        for name, sha256 in raw.asset_materialization.metadata["sha256"].value.items()
    ]
    batch = batch_id(files)
    decision = (decision_for(state.quarantine_root, regency.slug, dataset.name, batch) or {}).get("decision")
    checked = decision == "release" or batch in warehouse.merged_batches(engine, delivery.standard, regency.code)
    report = state.quarantine_root / regency.slug / dataset.name / batch / "report.json"
    returned = (
        ()
        if checked or not report.exists()
        else returned_reasons(json.loads(report.read_text(encoding="utf-8"))["issues"])
    )
    return Events(delivered_at=_at(raw), checked=checked, returned=returned, published_at=_at(published))


def _materializations(instance: dg.DagsterInstance, delivery: Delivery, step: str, moment: datetime):
    """The step's materializations of the regency's partition before `moment`, newest first."""
    records_filter = dg.AssetRecordsFilter(
        asset_key=asset_key(delivery.standard.name, step),
        asset_partitions=[delivery.regency.slug],
        before_timestamp=moment.timestamp(),
    )
    cursor = None
    while True:
        found = instance.fetch_materializations(records_filter, limit=PAGE, cursor=cursor)
        yield from found.records
        if not found.has_more:
            return
        cursor = found.cursor


def _at(record) -> datetime | None:
    return datetime.fromtimestamp(record.timestamp, timezone.utc) if record else None
