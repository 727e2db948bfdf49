"""The agencies' compliance scorecard per regency, computed daily and published as an open dataset so the
Forum Satu Data sees who delivers. It reads what the pipeline already records: the Dagster instance
(published or not), the raw manifests (on time), the warehouse load log and the quarantine."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd

from assets.reference import REGIONS_KEY
from assets.resources import PortalResource, StateResource, WarehouseResource
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


def scorecard_definitions(regency: Regency) -> dg.Definitions:
    standard = load_standard(STANDARD_REF)
    walidata = Agency(slug=f"walidata-{regency.slug}", name=regency.walidata, contact=regency.walidata_contact,
                      description=f"Walidata {regency.name}: pengumpul, pemeriksa dan penerbit data.")
    published_as = Dataset(name="kepatuhan-opd", schema=STANDARD_REF, agency=walidata, source=Source("computed", {}))

    @dg.asset(key=[regency.slug, "kepatuhan_opd", "portal"], group_name=GROUP, kinds={"ckan"},
              ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
              description=f"Kepatuhan OPD {regency.name} untuk Forum Satu Data / agencies' compliance scorecard.")
    def compliance_scorecard(context: dg.AssetExecutionContext, regions: pd.DataFrame, state: StateResource,
                             warehouse_db: WarehouseResource, portal: PortalResource) -> dg.MaterializeResult:
        engine = warehouse_db.engine()
        quarantined = [b for b in list_batches(state.quarantine_root) if b["regency"] == regency.slug]
        statuses = []
        for dataset in regency.datasets:
            dataset_standard = load_standard(dataset.schema)
            latest = context.instance.get_latest_materialization_event(
                dg.AssetKey([regency.slug, dataset.name.replace("-", "_"), "portal"]))
            meta = latest.asset_materialization.metadata if latest else {}
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
        result = publish(portal.client(), regency, published_as, standard, frame, {"run_id": context.run_id},
                         district_codes(regions))
        return dg.MaterializeResult(metadata={
            "url": dg.MetadataValue.url(result.url), "changed": result.changed, "api_writes": len(result.writes),
            "publication_status": "published", "scorecard": dg.MetadataValue.md(frame.to_markdown(index=False))})

    job = dg.define_asset_job(f"{regency.slug}_kepatuhan_opd", selection=[compliance_scorecard],
                              description=f"Kepatuhan OPD {regency.name}")
    schedule = dg.ScheduleDefinition(name=f"{regency.slug}_kepatuhan_opd_schedule", job=job,
                                     cron_schedule="0 20 * * *", execution_timezone=regency.timezone,
                                     default_status=dg.DefaultScheduleStatus.RUNNING)
    return dg.Definitions(assets=[compliance_scorecard], jobs=[job], schedules=[schedule])
