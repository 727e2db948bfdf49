"""Per province target in `catalogue/portals.yaml`, one asset per standard its regencies deliver:
`<province>/<standard>/portal` publishes the province's integrated mart (every member regency's rows) to
the province's portal through the same publishing code as a regency's dataset. Wiring only."""

import dagster as dg
import pandas as pd

from assets.datasets import retry_policy
from assets.reference import REGIONS_KEY
from assets.resources import PortalResource
from pipelines import warehouse
from pipelines.catalogue import Portal, Regency, load_pipeline_config
from pipelines.privacy import district_codes
from pipelines.province import members, province_standard, publication
from pipelines.publish import ALL_DOWNLOADS, publish
from pipelines.standard import Standard, load_standard


def province_definitions(target: Portal, regencies: list[Regency]) -> dg.Definitions:
    province = target.province
    sources: dict[str, list[dg.AssetKey]] = {}   # standard -> the regency warehouse assets it integrates
    for regency in members(province, regencies):
        for dataset in regency.datasets:
            sources.setdefault(dataset.schema, []).append(
                dg.AssetKey([regency.slug, dataset.name.replace("-", "_"), "warehouse"]))
    if not sources:
        return dg.Definitions()
    resource_key = f"portal_{province.slug}"
    return dg.Definitions(
        assets=[_asset(target, resource_key, load_standard(ref), deps) for ref, deps in sorted(sources.items())],
        resources={resource_key: PortalResource(url=target.url, api_token=dg.EnvVar(target.api_token_env))})


def _asset(target: Portal, resource_key: str, standard: Standard, deps: list[dg.AssetKey]) -> dg.AssetsDefinition:
    province = target.province
    name = f"{province.slug}__{standard.name.replace('-', '_')}"
    follow = (dg.AutomationCondition.eager().ignore(dg.AssetSelection.groups("reference"))
              & dg.AutomationCondition.all_deps_blocking_checks_passed())

    @dg.op(name=f"{name}__publish", required_resource_keys={resource_key, "warehouse_db"}, pool="ckan_portal",
           ins={"regions": dg.In(), "merged": dg.In(dg.Nothing)}, tags={"province": province.slug},
           retry_policy=retry_policy(load_pipeline_config()["retry"]))
    def publish_province(context: dg.OpExecutionContext, regions: pd.DataFrame) -> dg.Output:
        engine = context.resources.warehouse_db.engine()
        if not warehouse.versions(engine, standard, province.code):
            context.log.info(f"{standard.ref}: belum ada data kabupaten/kota / no regency data yet")
            return dg.Output(None, metadata={"publication_status": "kosong / empty", "rows": 0})
        regency, dataset = publication(province, standard)
        portal: PortalResource = getattr(context.resources, resource_key)
        table = warehouse.PublishedTable(engine, standard, province.code, with_regency=True)
        result = publish(portal.client(), regency, dataset, province_standard(standard), table,
                         {"run_id": context.run_id}, district_codes(regions), downloads=ALL_DOWNLOADS)
        return dg.Output(None, metadata={
            "publication_status": "published", "url": dg.MetadataValue.url(result.url),
            "changed": result.changed, "rows_sent": result.rows_sent, "rows_deleted": result.rows_deleted,
            "regencies": dg.MetadataValue.json(sorted(result.versions)),
            "api_writes": len(result.writes), "load_path": result.load_path})

    # The regencies' warehouse steps arrive as one fan-in input: the province publishes when at least one
    # of them merged in this run (its change set), and is skipped only when none did (nothing new anywhere).
    # One input per regency would skip it as soon as any single regency had nothing new.
    ins = {"regions": dg.AssetIn(key=REGIONS_KEY)} | {
        f"regency_{n}": dg.AssetIn(key=key, dagster_type=dg.Nothing) for n, key in enumerate(deps)}

    @dg.graph_asset(key=[province.slug, standard.name.replace("-", "_"), "portal"], group_name=province.slug,
                    tags={"province": province.slug}, kinds={"ckan"}, ins=ins, automation_condition=follow,
                    description=f"{standard.title}: data terpadu semua kabupaten/kota {province.name}, diterbitkan "
                                f"ke portal {target.name} / every regency's rows, published to the province's "
                                f"portal.")
    def province_dataset(regions, **merged):
        return publish_province(regions=regions, merged=list(merged.values()))

    return province_dataset
