"""The Dagster code location: reference data plus, for every regency catalogue, the chain of each of
its datasets and the agencies' compliance scorecard, and per province target its integrated datasets;
resources come from the environment (see README: configuration)."""

import dagster as dg

from assets.automation import ALERT_SENSORS, dataset_automation
from assets.dead_runs import runs_without_a_process
from assets.datasets import dataset_definitions
from assets.periods import monthly_periods
from assets.province import province_definitions
from assets.reference import (conformed_dimensions, data_induk, kemendagri_edition_changes, kemendagri_regions,
                              standard_code_lists)
from assets.resources import PortalResource, StateResource, WarehouseResource
from assets.scorecard import GROUP as SCORECARD_GROUP
from assets.scorecard import scorecard_definitions
from assets.workflow import approve_dataset
from pipelines import settings
from pipelines.catalogue import load_pipeline_config, load_portals, load_regencies


def build_definitions() -> dg.Definitions:
    regencies = load_regencies()
    portals = load_portals()
    # One portal per code location for now: the regency catalogues name it.
    portal = portals[regencies[0].portal]
    # One set of months for every dataset, so the main job can run them all in one partition range.
    months = monthly_periods(load_pipeline_config())
    per_dataset = [defs for r in regencies for d in r.datasets
                   for defs in (dataset_definitions(r, d, months), dataset_automation(r, d, months))]
    scorecards = [scorecard_definitions(r) for r in regencies]
    # Province targets receive the integrated marts of their regencies, each through its own portal resource.
    provinces = [province_definitions(p, regencies) for p in portals.values() if p.province]
    core = dg.Definitions(
        assets=[kemendagri_regions, kemendagri_edition_changes, conformed_dimensions, standard_code_lists, data_induk],
        # The scorecards read what the day's runs recorded, so they run on their own evening schedule.
        jobs=[dg.define_asset_job("satudata_job",
                                  selection=dg.AssetSelection.all() - dg.AssetSelection.groups(SCORECARD_GROUP),
                                  description="Tarik, periksa, gabung, terbitkan / pull, check, merge, publish"),
              approve_dataset],
        sensors=[*ALERT_SENSORS, runs_without_a_process],
        resources={
            "state": StateResource(root=str(settings.state_dir())),
            "warehouse_db": WarehouseResource(url=settings.warehouse_url()),
            "portal": PortalResource(url=portal.url, api_token=dg.EnvVar(portal.api_token_env)),
        })
    return dg.Definitions.merge(core, *per_dataset, *scorecards, *provinces)


defs = build_definitions()
