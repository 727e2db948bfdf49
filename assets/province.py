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
    follow = (dg.AutomationCondition.eager().ignore(dg.AssetSelection.groups("reference"))
              & dg.AutomationCondition.all_deps_blocking_checks_passed())

    @dg.asset(key=[province.slug, standard.name.replace("-", "_"), "portal"], group_name=province.slug,
              tags={"province": province.slug}, kinds={"ckan"}, deps=deps, pool="ckan_portal",
              ins={"regions": dg.AssetIn(key=REGIONS_KEY)}, automation_condition=follow,
              required_resource_keys={resource_key, "warehouse_db"},
              retry_policy=retry_policy(load_pipeline_config()["retry"]),
              description=f"{standard.title}: data terpadu semua kabupaten/kota {province.name}, diterbitkan ke "
                          f"portal {target.name} / every regency's rows, published to the province's portal.")
    def province_dataset(context: dg.AssetExecutionContext, regions: pd.DataFrame) -> dg.MaterializeResult:
        frame = warehouse.read_province(context.resources.warehouse_db.engine(), standard, province.code)
        if frame.empty:
            context.log.info(f"{standard.ref}: belum ada data kabupaten/kota / no regency data yet")
            return dg.MaterializeResult(metadata={"publication_status": "kosong / empty", "rows": 0})
        regency, dataset = publication(province, standard)
        portal: PortalResource = getattr(context.resources, resource_key)
        result = publish(portal.client(), regency, dataset, province_standard(standard), frame,
                         {"run_id": context.run_id}, district_codes(regions), downloads=ALL_DOWNLOADS)
        return dg.MaterializeResult(metadata={
            "publication_status": "published", "url": dg.MetadataValue.url(result.url),
            "changed": result.changed, "rows": len(frame),
            "regencies": dg.MetadataValue.json(sorted(frame[warehouse.REGION_KEY].unique().tolist())),
            "api_writes": len(result.writes), "load_path": result.load_path})

    return province_dataset
