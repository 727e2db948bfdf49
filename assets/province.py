"""Per standard, one province publication partitioned by province (`catalogue/portals.yaml` targets with a
`province:`): `<standard>/provinsi` publishes a province's integrated mart (every member regency's rows) to
the province's portal through the same publishing code as a regency's dataset. Wiring only."""

import dagster as dg
import pandas as pd

from assets.datasets import FOLLOW, Delivery, asset_key, publication_metadata
from assets.reference import REGIONS_KEY
from assets.resources import PortalsResource, WarehouseResource
from pipelines import warehouse
from pipelines.catalogue import Province, load_pipeline_config
from pipelines.publish import ALL_DOWNLOADS, publish
from pipelines.publish.province import members, province_standard, publication
from pipelines.standard import Standard
from pipelines.validation.privacy import district_codes


def province_assets(
    provinces: list[Province], deliveries: list[Delivery], partitions: dg.StaticPartitionsDefinition
) -> list[dg.AssetsDefinition]:
    """One asset per standard that a member regency of some province target delivers."""
    by_standard: dict[str, dict[str, Standard]] = {}  # standard name -> province slug -> newest version
    regency_to_province: dict[str, dict[str, str]] = {}  # standard name -> regency slug -> province slug
    for province in provinces:
        regencies = {r.slug for r in members(province, [d.regency for d in deliveries])}
        for delivery in (d for d in deliveries if d.regency.slug in regencies):
            name = delivery.standard.name
            newest = by_standard.setdefault(name, {}).get(province.slug)
            if newest is None or _version(delivery.standard) > _version(newest):
                by_standard[name][province.slug] = delivery.standard
            regency_to_province.setdefault(name, {})[delivery.regency.slug] = province.slug
    targets = {p.slug: p for p in provinces}
    return [
        _asset(name, targets, standards, regency_to_province[name], partitions)
        for name, standards in sorted(by_standard.items())
    ]


def _retry_policy() -> dg.RetryPolicy:
    """The portal down or failing: retried as catalogue/pipeline.yaml says for every step."""
    retry = load_pipeline_config()["retry"]
    return dg.RetryPolicy(
        max_retries=retry["max_retries"],
        delay=retry["delay_seconds"],
        backoff=dg.Backoff[retry["backoff"].upper()],
        jitter=dg.Jitter.PLUS_MINUS,
    )


def _version(standard: Standard) -> tuple[int, ...]:
    return tuple(int(part) for part in standard.version.split("."))


def _asset(
    name: str,
    targets: dict[str, Province],
    standards: dict[str, Standard],
    regency_to_province: dict,
    partitions: dg.StaticPartitionsDefinition,
) -> dg.AssetsDefinition:
    # Each province partition reads the warehouse partitions of its own member regencies; a province run
    # follows when any of them merged (declarative automation), or when `assets.run` saw one merge.
    merged = dg.AssetDep(asset_key(name, "warehouse"), partition_mapping=dg.StaticPartitionMapping(regency_to_province))

    @dg.asset(
        key=asset_key(name, "provinsi"),
        group_name="provinsi",
        kinds={"ckan"},
        partitions_def=partitions,
        deps=[merged],
        ins={"regions": dg.AssetIn(key=REGIONS_KEY)},
        automation_condition=FOLLOW,
        pool="ckan_portal",
        retry_policy=_retry_policy(),
        description=f"{name}: data terpadu semua kabupaten/kota provinsi, diterbitkan ke portal provinsi / "
        f"every member regency's rows, published to the province's portal.",
    )
    def province_dataset(
        context: dg.AssetExecutionContext,
        regions: pd.DataFrame,
        warehouse_db: WarehouseResource,
        portals: PortalsResource,
    ) -> dg.MaterializeResult:
        province = targets[context.partition_key]
        standard = standards.get(province.slug)
        engine = warehouse_db.engine()
        if standard is None or not warehouse.versions(engine, standard, province.code):
            context.log.info(f"{name}: belum ada data kabupaten/kota / no regency data yet")
            return dg.MaterializeResult(metadata={"publication_status": "kosong / empty", "rows_sent": 0})
        regency, dataset = publication(province, standard)
        table = warehouse.PublishedTable(engine, standard, province.code, with_regency=True)
        result = publish(
            portals.client(regency.portal),
            regency,
            dataset,
            province_standard(standard),
            table,
            {"run_id": context.run_id},
            district_codes(regions),
            downloads=ALL_DOWNLOADS,
        )
        return dg.MaterializeResult(
            metadata=publication_metadata(result) | {"regencies": dg.MetadataValue.json(sorted(result.versions))}
        )

    return province_dataset
