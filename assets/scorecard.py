"""The agencies' compliance scorecard, one partition per regency, computed daily and published as an open
dataset so the Forum Satu Data sees who delivers. It reads what the pipeline already records: the Dagster
instance (published or not), the raw manifests (on time), the warehouse load log and the quarantine."""

from collections import defaultdict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from assets.automation import ZONE_NAMES
from assets.datasets import asset_key
from assets.reference import REGIONS_KEY
from assets.resources import PortalsResource, StateResource, WarehouseResource
from pipelines import warehouse
from pipelines.catalogue import Agency, Dataset, Regency, Source
from pipelines.freshness import dataset_lateness
from pipelines.privacy import district_codes
from pipelines.publish import publish
from pipelines.quarantine import list_batches
from pipelines.scorecard import DatasetStatus, scorecard
from pipelines.standard import load_standard

GROUP = "kepatuhan"
STANDARD_REF = "kepatuhan-opd/1.0.0"
JOB = "kepatuhan_opd_job"


def scorecard_definitions(regencies: list[Regency], partitions: dg.StaticPartitionsDefinition) -> dg.Definitions:
    standard = load_standard(STANDARD_REF)
    by_slug = {r.slug: r for r in regencies}

    @dg.asset(key=["kepatuhan_opd", "portal"], group_name=GROUP, kinds={"ckan"}, partitions_def=partitions,
              ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
              description="Kepatuhan OPD untuk Forum Satu Data / agencies' compliance scorecard per regency.")
    def compliance_scorecard(context: dg.AssetExecutionContext, regions: pd.DataFrame, state: StateResource,
                             warehouse_db: WarehouseResource, portals: PortalsResource) -> dg.MaterializeResult:
        regency = by_slug[context.partition_key]
        engine = warehouse_db.engine()
        quarantined = [b for b in list_batches(state.quarantine_root) if b["regency"] == regency.slug]
        statuses = []
        for dataset in regency.datasets:
            dataset_standard = load_standard(dataset.schema)
            latest = context.instance.fetch_materializations(
                dg.AssetRecordsFilter(asset_key=asset_key(dataset_standard.name, "portal"),
                                      asset_partitions=[regency.slug]), limit=1).records
            meta = latest[0].asset_materialization.metadata if latest else {}
            _, late = dataset_lateness(state.archive().manifest(regency.slug, dataset.name),
                                       dataset_standard.metadata["frekuensi"], dataset.grace_hours)
            mine = [b for b in quarantined if b["dataset"] == dataset.name]
            statuses.append(DatasetStatus(
                agency=dataset.agency.slug, dataset=dataset.name,
                published=bool(meta) and meta["publication_status"].value == "published",
                on_time=late is None or late <= timedelta(0),
                merged_batches=warehouse.merged_batches(engine, dataset_standard, regency.code),
                quarantined_batches=frozenset(b["batch"] for b in mine),
                open_quarantines=sum(b["decision"] == "open" for b in mine)))
        today = datetime.now(ZoneInfo(regency.timezone)).date()
        frame = scorecard(regency, statuses, today)
        walidata = Agency(slug=f"walidata-{regency.slug}", name=regency.walidata, contact=regency.walidata_contact,
                          description=f"Walidata {regency.name}: pengumpul, pemeriksa dan penerbit data.")
        published_as = Dataset(name="kepatuhan-opd", schema=STANDARD_REF, agency=walidata,
                               source=Source("computed", {}))
        result = publish(portals.client(regency.portal), regency, published_as, standard, frame,
                         {"run_id": context.run_id}, district_codes(regions))
        return dg.MaterializeResult(metadata={
            "url": dg.MetadataValue.url(result.url), "changed": result.changed, "api_writes": len(result.writes),
            "publication_status": "published", "scorecard": dg.MetadataValue.md(frame.to_markdown(index=False))})

    job = dg.define_asset_job(JOB, selection=[compliance_scorecard], partitions_def=partitions,
                              description="Kepatuhan OPD per kabupaten/kota / agencies' compliance scorecard")
    by_zone: dict[str, list[str]] = defaultdict(list)
    for regency in regencies:
        by_zone[regency.timezone].append(regency.slug)
    # Every evening on each regency's clock, after the day's deliveries and runs.
    schedules = [dg.ScheduleDefinition(
        name=f"kepatuhan_opd_{ZONE_NAMES.get(zone, zone.split('/')[-1].lower())}", job=job,
        cron_schedule="0 20 * * *", execution_timezone=zone, default_status=dg.DefaultScheduleStatus.RUNNING,
        execution_fn=_every(sorted(slugs))) for zone, slugs in sorted(by_zone.items())]
    return dg.Definitions(assets=[compliance_scorecard], jobs=[job], schedules=schedules)


def _every(slugs: list[str]):
    def requests(context: dg.ScheduleEvaluationContext):
        for slug in slugs:
            yield dg.RunRequest(run_key=slug, partition_key=slug, tags={"regency": slug})
    return requests
