"""The agencies' compliance scorecard of every regency, computed each evening and published as an open dataset
per regency (`<regency>-kepatuhan-opd`) so the Forum Satu Data sees who delivers. One run covers every regency
of the code location: a scorecard is cheap to compute, and one run a day instead of one per regency keeps a
national evening at one run. It reads what the pipeline already records: the Dagster instance (published or
not), the raw manifests (on time), the warehouse load log and the quarantine; where the regency keeps a Daftar
Data, each entry's status of the day (as `assets/daftar_data.py` derives it) and its publications against the
release schedule. `python -m assets.run` also runs it after the Daftar Data's statuses, when the catalogue
holds a Daftar Data."""

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import ckanapi
import dagster as dg
import pandas as pd

from assets.daftar_data import events_of
from assets.daily import daily
from assets.datasets import Delivery, asset_key
from assets.each_regency import publish_each
from assets.keys import key
from assets.reference import REGIONS_KEY
from assets.resources import PortalsResource, StateResource, WarehouseResource
from pipelines import warehouse
from pipelines.catalogue import Dataset, Regency, Source
from pipelines.publish import Portal, PublishError, publish
from pipelines.publish.metadata import package_name
from pipelines.publish.metadata_statistik import missing
from pipelines.standard import load_standard
from pipelines.stewardship.daftar_data import daftar_data_of, entry_status, release_deadlines
from pipelines.stewardship.freshness import dataset_lateness
from pipelines.stewardship.scorecard import (
    DatasetStatus,
    EntryStanding,
    current_daftar,
    release_record,
    scorecard,
    walidata_agency,
)
from pipelines.validation.privacy import district_codes
from pipelines.validation.quarantine import list_batches

GROUP = "kepatuhan"
STANDARD_REF = "kepatuhan-opd/1.1.0"
PAGE = 100  # materialization records read at a time
JOB = "kepatuhan_opd_job"


def scorecard_definitions(regencies: list[Regency], deliveries: list[Delivery]) -> dg.Definitions:
    standard = load_standard(STANDARD_REF)

    @dg.asset(
        key=key("kepatuhan_opd", "portal"),
        group_name=GROUP,
        kinds={"ckan"},
        ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
        description="Kepatuhan OPD setiap kabupaten/kota untuk Forum Satu Data / every regency's agencies' "
        "compliance scorecard.",
    )
    def compliance_scorecard(
        context: dg.AssetExecutionContext,
        regions: pd.DataFrame,
        state: StateResource,
        warehouse_db: WarehouseResource,
        portals: PortalsResource,
    ) -> dg.MaterializeResult:
        engine = warehouse_db.engine()
        quarantined = list_batches(state.quarantine_root)

        def publish_scorecard(regency: Regency) -> dict[str, str]:
            mine = [d for d in deliveries if d.regency.slug == regency.slug]
            portal = portals.client(regency.portal, regency.api_token_env)
            frame = _scorecard_of(
                context.instance,
                regency,
                mine,
                engine,
                state,
                quarantined,
                {d.dataset.name: _counts(portal, regency, d.dataset) for d in mine},
            )
            result = publish(
                portal,
                regency,
                _published_as(regency),
                standard,
                frame,
                {"run_id": context.run_id},
                district_codes(regions),
            )
            return {regency.slug: result.url}

        return publish_each(regencies, publish_scorecard, ("Kepatuhan OPD", "scorecard"))

    # Every evening, after the day's deliveries and runs (20:00 WIB is 21:00 WITA, 22:00 WIT).
    return daily(
        compliance_scorecard,
        JOB,
        "Kepatuhan OPD semua kabupaten/kota / every agencies' compliance scorecard",
        "kepatuhan_opd_harian",
        "0 20 * * *",
    )


def _published_as(regency: Regency) -> Dataset:
    return Dataset(
        name="kepatuhan-opd", schema=STANDARD_REF, agency=walidata_agency(regency), source=Source("computed", {})
    )


def _counts(portal: Portal, regency: Regency, dataset: Dataset) -> dict:
    """The dataset's visits and downloads on its portal (none for a dataset not published there yet, or a portal
    without the project's extension)."""
    try:
        return portal.find("satudata_counts_show", id=package_name(regency, dataset)) or {}
    except (PublishError, ckanapi.CKANAPIError):  # down, or an action it does not know: no counts, still a scorecard
        return {}


def _scorecard_of(
    instance: dg.DagsterInstance,
    regency: Regency,
    deliveries: list[Delivery],
    engine,
    state: StateResource,
    quarantined: list[dict],
    counts: dict[str, dict],
) -> pd.DataFrame:
    moment = datetime.now(timezone.utc)
    zone = ZoneInfo(regency.timezone)
    day = moment.astimezone(zone).date()
    statuses = [_status_of(instance, d, engine, state, quarantined, counts) for d in deliveries]
    daftar = current_daftar(daftar_data_of(regency), day)
    if daftar is None:
        return scorecard(regency, statuses, day)
    by_name = {d.dataset.name: d for d in deliveries}
    batches = {s.dataset: s for s in statuses}
    standings = []
    for entry in daftar.entries:
        delivery, batch = by_name[entry.dataset], batches[entry.dataset]
        events = events_of(instance, delivery, engine, state, moment)
        on_schedule, missed = release_record(entry, _published_days(instance, delivery, zone), day)
        standings.append(
            EntryStanding(
                agency=entry.agency,
                status=entry_status(entry, events, moment, zone).status,
                on_schedule=on_schedule,
                missed=missed,
                first_try=bool(batch.merged_batches) and not batch.quarantined_batches,
            )
        )
    return scorecard(regency, statuses, day, daftar, standings)


def _status_of(
    instance: dg.DagsterInstance,
    delivery: Delivery,
    engine,
    state: StateResource,
    quarantined: list[dict],
    counts: dict[str, dict],
) -> DatasetStatus:
    """One dataset's line of the scorecard, from what the pipeline already recorded of it."""
    regency, dataset, standard = delivery.regency, delivery.dataset, delivery.standard
    latest = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=asset_key(standard.name, "portal"), asset_partitions=[regency.slug]),
        limit=1,
    ).records
    meta = latest[0].asset_materialization.metadata if latest else {}
    _, late = dataset_lateness(
        state.archive().manifest(regency.slug, dataset.name),
        standard.metadata["frekuensi"],
        dataset.grace_hours,
        release_deadlines(regency, dataset.name),
    )
    mine = [b for b in quarantined if b["regency"] == regency.slug and b["dataset"] == dataset.name]
    return DatasetStatus(
        agency=dataset.agency.slug,
        dataset=dataset.name,
        published=bool(meta) and meta["publication_status"].value == "published",
        on_time=late is None or late <= timedelta(0),
        merged_batches=warehouse.merged_batches(engine, standard, regency.code),
        quarantined_batches=frozenset(b["batch"] for b in mine),
        open_quarantines=sum(b["decision"] == "open" for b in mine),
        visits=counts.get(dataset.name, {}).get("visits"),
        downloads=counts.get(dataset.name, {}).get("downloaded"),
        metadata_gaps=tuple(missing(standard, dataset, regency)),
    )


def _published_days(instance: dg.DagsterInstance, delivery: Delivery, zone: ZoneInfo) -> list[date]:
    """The days (on the regency's clock) the portal step published the regency's dataset."""
    records_filter = dg.AssetRecordsFilter(
        asset_key=asset_key(delivery.standard.name, "portal"), asset_partitions=[delivery.regency.slug]
    )
    days, cursor = set(), None
    while True:
        found = instance.fetch_materializations(records_filter, limit=PAGE, cursor=cursor)
        days |= {
            datetime.fromtimestamp(r.timestamp, zone).date()
            for r in found.records
            if r.asset_materialization.metadata["publication_status"].value == "published"
        }
        if not found.has_more:
            return sorted(days)
        cursor = found.cursor
