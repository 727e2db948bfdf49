"""The Dagster code location. Its graph grows with the standards, not with regencies x datasets: per standard
(and per indicator of the generic indicator standard) one chain of assets partitioned by regency
(assets/datasets.py), one province publication per standard
partitioned by province, one compliance scorecard for every regency, and the shared reference data.
Schedules follow (cron, time zone) pairs and one sensor watches every file-drop folder (assets/automation.py).
Resources come from the environment (see README: configuration)."""

import logging

import dagster as dg

from assets.automation import ALERT_SENSORS, file_drop_sensor, late_agency_sensor, schedules
from assets.daftar_data import daftar_data_definitions
from assets.datasets import Delivery, chain_definitions
from assets.dead_runs import runs_without_a_process
from assets.partitions import province_partitions, regency_partitions
from assets.province import province_assets
from assets.reference import REFERENCE_ASSETS
from assets.resources import PortalsResource, StateResource, WarehouseResource
from assets.retention import retention_definitions
from assets.scorecard import scorecard_definitions
from assets.workflow import approve_dataset
from pipelines import settings
from pipelines.catalogue import Regency, load_catalogue, load_portals
from pipelines.indicators import for_dataset
from pipelines.standard import load_standard

MAIN_JOB = "satudata_job"
PROVINCE_JOB = "provinsi_job"


def deliveries_of(regencies: list[Regency]) -> list[Delivery]:
    """Every regency's datasets with their standards, each standard file read once."""
    standards = {ref: load_standard(ref) for ref in sorted({d.schema for r in regencies for d in r.datasets})}
    return [Delivery(r, d, for_dataset(standards[d.schema], d)) for r in regencies for d in r.datasets]


def build_definitions() -> dg.Definitions:
    # A broken regency file stops only its own regency: the others load, and the error is in the log and on
    # the main job's page (its file, key and reason).
    catalogue = load_catalogue()
    for error in catalogue.errors:
        logging.getLogger("satudata").error(str(error))
    regencies = catalogue.regencies
    portals = load_portals()
    deliveries = deliveries_of(regencies)
    by_regency = regency_partitions(regencies)
    chains = [chain_definitions(found, by_regency) for _, found in sorted(_chains(deliveries).items())]
    provinces = [p.province for p in portals.values() if p.province]
    by_province = province_partitions(provinces)
    province_publications = province_assets(provinces, deliveries, by_province)
    main_job = dg.define_asset_job(
        MAIN_JOB,
        partitions_def=by_regency,
        selection=dg.AssetSelection.assets(*[k for defs in chains for a in defs.assets for k in a.keys])
        | dg.AssetSelection.groups("reference"),
        description="Tarik, periksa, gabung, terbitkan satu kabupaten/kota / pull, check, merge, publish a regency"
        + "".join(f"\n\nKatalog tidak dimuat / catalogue not loaded: {e}" for e in catalogue.errors),
    )
    jobs = [main_job, approve_dataset]
    if province_publications:
        jobs.append(
            dg.define_asset_job(
                PROVINCE_JOB,
                partitions_def=by_province,
                selection=dg.AssetSelection.assets(*province_publications),
                description="Terbitkan data terpadu provinsi / publish a province's data",
            )
        )
    core = dg.Definitions(
        assets=[*REFERENCE_ASSETS, *province_publications],
        jobs=jobs,
        schedules=schedules(deliveries, main_job),
        sensors=[
            file_drop_sensor(deliveries, main_job),
            late_agency_sensor(deliveries, main_job),
            *ALERT_SENSORS,
            runs_without_a_process,
        ],
        resources=_resources(portals),
    )
    return dg.Definitions.merge(
        core,
        *chains,
        scorecard_definitions(regencies, deliveries),
        daftar_data_definitions(regencies, deliveries),
        retention_definitions(),
        dg.Definitions(executor=_executor()),
    )


def _chains(deliveries: list[Delivery]) -> dict[str, dict[str, dict[str, Delivery]]]:
    """Chains by the standard whose steps they share (a hand-built standard's own, or the generic indicator
    standard's for each of its indicators): shared name -> standard name -> regency slug -> delivery."""
    shared: dict[str, dict[str, dict[str, Delivery]]] = {}
    for delivery in deliveries:
        standard = delivery.standard
        shared.setdefault(standard.generic or standard.name, {}).setdefault(standard.name, {})[
            delivery.regency.slug
        ] = delivery
    return shared


def _resources(portals: dict) -> dict:
    """Where the steps keep state, the warehouse and the portals: from the environment (README: configuration)."""
    return {
        "state": StateResource(root=str(settings.state_dir())),
        "warehouse_db": WarehouseResource(url=settings.warehouse_url()),
        "portals": PortalsResource(
            urls={name: p.url for name, p in portals.items()},
            token_envs={name: p.api_token_env for name, p in portals.items()},
        ),
    }


def _executor() -> dg.ExecutorDefinition | None:
    """Dagster's default executor, or its Celery executor when the deployment asks (SATUDATA_EXECUTOR=celery;
    run config: deploy/celery.yaml)."""
    if settings.executor() == "celery":
        from dagster_celery import celery_executor

        return celery_executor
    return None


@dg.definitions
def defs() -> dg.Definitions:
    """What the code server, the daemon and each run load, built when Dagster asks for it, not when the module
    is imported: `assets.run` and the tests import this module to build their own."""
    return build_definitions()
