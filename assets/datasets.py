"""Per catalogue entry, the chain of one agency dataset: raw -> staged (+ blocking standard check)
-> warehouse (partitioned by month, see assets/periods.py) -> portal. Everything here is wiring; the work
happens in `pipelines`."""

import warnings
from datetime import timedelta

import dagster as dg
import pandas as pd

from assets.periods import run_bounds, within
from assets.reference import DATA_INDUK_KEY, DIMENSIONS_KEY, EDITION_CHANGES_KEY, REGIONS_KEY
from assets.resources import PortalResource, StateResource, WarehouseResource
from pipelines import approval, sources, warehouse
from pipelines.catalogue import Dataset, Regency, load_reference_config
from pipelines.freshness import dataset_lateness, describe
from pipelines.issues import drop_consequences
from pipelines.parsing import ParsedBatch, parse_files
from pipelines.privacy import district_codes, scan
from pipelines.publish import ALL_DOWNLOADS, PersonalDataError, PublishError, publish
from pipelines.quarantine import batch_id, decision_for, quarantine
from pipelines.raw import RawFile
from pipelines.reference import codes_within, explain_retired
from pipelines.standard import load_standard

PREVIEW_ROWS = 10
# `backfill_policy` (one run for a range of months) is marked beta; it is the documented way and we rely on it.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)


def retry_policy(retry: dict) -> dg.RetryPolicy:
    """A step retry policy from a `retry:` block of catalogue/pipeline.yaml (or a dataset's override)."""
    return dg.RetryPolicy(max_retries=retry["max_retries"], delay=retry["delay_seconds"],
                          backoff=dg.Backoff[retry["backoff"].upper()], jitter=dg.Jitter.PLUS_MINUS)


def dataset_definitions(regency: Regency, dataset: Dataset, months: dg.TimeWindowPartitionsDefinition
                        ) -> dg.Definitions:
    standard = load_standard(dataset.schema)  # a wrong schema file fails here, before any data is read
    period = standard.period_field
    prefix = [regency.slug, dataset.name.replace("-", "_")]
    group = regency.slug
    tags = {"regency": regency.slug, "agency": dataset.agency.slug}
    # Agency servers and the portal fail now and then: retry with growing pauses, and cap how many steps
    # talk to them at once (pool limits live in the instance, see deploy/dagster.yaml).
    # How often and how long apart: catalogue/pipeline.yaml, overridable per dataset.
    retry = retry_policy(dataset.retry)
    # Declarative automation: when a steward re-runs one step, the steps after it follow (every month of
    # the warehouse step, in one run, not only the latest); never past a failed blocking check
    # (quarantine), and not merely because shared reference data was refreshed.
    follow = (dg.AutomationCondition.eager().without(dg.AutomationCondition.in_latest_time_window())
              .ignore(dg.AssetSelection.groups("reference"))
              & dg.AutomationCondition.all_deps_blocking_checks_passed())

    # Not every run brings something: an unchanged URL (HTTP 304) or a database with no new rows yields
    # no output, and the steps after it are skipped instead of failing.
    @dg.asset(key=[*prefix, "raw"], group_name=group, tags=tags, kinds={"file"}, output_required=False,
              retry_policy=retry, pool="agency_sources",
              description=f"Berkas asli dari {dataset.agency.name}, diarsipkan apa adanya (sha256).")
    def raw(context: dg.AssetExecutionContext, state: StateResource):
        archive = state.archive()
        memo = state.memo(regency.slug, dataset.name)
        files = [archive.store(regency.slug, dataset.name, d.name, d.data, d.origin)
                 for d in sources.pull(dataset.source, memo)]
        if not files or sources.unchanged(memo, [(f.name, f.sha256) for f in files]):
            context.log.info(f"Tidak ada kiriman baru / nothing new from {dataset.agency.name} "
                             f"({dataset.source.kind})")
            return
        yield dg.Output(files, metadata={"files": dg.MetadataValue.json([f.name for f in files]),
                                         "bytes": sum(f.size for f in files),
                                         "sha256": dg.MetadataValue.json({f.name: f.sha256 for f in files})})

    @dg.asset_check(asset=raw, name="tepat_waktu",
                    description=f"Kiriman {standard.metadata['frekuensi'].lower()} dari {dataset.agency.name} "
                                f"tiba tepat waktu / the agency delivers on time.")
    def on_time(state: StateResource) -> dg.AssetCheckResult:
        last, late = dataset_lateness(state.archive().manifest(regency.slug, dataset.name),
                                      standard.metadata["frekuensi"], dataset.grace_hours)
        metadata = {"agency": dataset.agency.name, "dataset": dataset.name, "regency": regency.name,
                    "frequency": standard.metadata["frekuensi"],
                    "last_new_delivery": last.isoformat() if last else "belum pernah / never"}
        if late is None or late <= timedelta(0):
            return dg.AssetCheckResult(passed=True, metadata=metadata)
        metadata["late_by"] = describe(late)
        return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata)

    @dg.asset(key=[*prefix, "staged"], group_name=group, tags=tags, kinds={"parquet"}, automation_condition=follow,
              ins={"files": dg.AssetIn(key=[*prefix, "raw"])},
              description=f"Baris bertipe menurut standar {standard.ref}.")
    def staged(context: dg.AssetExecutionContext, files: list[RawFile], state: StateResource) -> ParsedBatch:
        batch = parse_files(files, standard, dataset.columns, dataset.source.options,
                            folder=state.staged_root / regency.slug / dataset.name)
        context.add_output_metadata({
            "dagster/row_count": batch.rows, "parse_issues": len(batch.issues),
            "staged_file": dg.MetadataValue.path(str(batch.path)),
            "preview": dg.MetadataValue.md(batch.head(PREVIEW_ROWS).to_markdown(index=False))})
        return batch

    @dg.asset_check(asset=staged, name="memenuhi_standar", blocking=True,
                    additional_ins={"regions": dg.AssetIn(key=REGIONS_KEY),
                                    "edition_changes": dg.AssetIn(key=EDITION_CHANGES_KEY),
                                    "data_induk": dg.AssetIn(key=DATA_INDUK_KEY)},
                    description=f"Great Expectations: standar Satu Data {standard.ref}. Gagal = karantina.")
    def meets_standard(staged: ParsedBatch, regions: pd.DataFrame, edition_changes: pd.DataFrame,
                       data_induk: dict, state: StateResource) -> dg.AssetCheckResult:
        # Great Expectations takes ~4 s to import: loaded by the first check that runs, not by every process
        # that loads the definitions (the UI, the daemon, a run with nothing new).
        from pipelines.validation import validate
        code_lists = {f.code_list: codes_within(regions, f.code_list, regency.code)
                      for f in standard.fields if f.code_list}
        outcome = validate(staged.path, standard, code_lists, references=data_induk.get(regency.slug, {}),
                           period=dataset.period)
        personal = scan(staged.path, standard, district_codes(regions))
        edition = load_reference_config()["kemendagri_regions"]["edition"]
        checked = drop_consequences(staged.issues, explain_retired(outcome.issues, edition_changes, edition))
        issues = staged.issues + checked + personal
        metadata = {"rules": len(outcome.rules), "failed_rules": sum(not r["success"] for r in outcome.rules),
                    "issues": len(issues), "personal_data_findings": len(personal),
                    "results": dg.MetadataValue.json(outcome.rules)}
        if not issues:
            return dg.AssetCheckResult(passed=True, metadata=metadata)
        folder = quarantine(state.quarantine_root, regency.slug, dataset.name, staged.files, issues, outcome.rules)
        decision = decision_for(state.quarantine_root, regency.slug, dataset.name, folder.name) or {}
        metadata |= {"batch": folder.name, "quarantine_report": dg.MetadataValue.path(str(folder / "report.html")),
                     "examples": dg.MetadataValue.md("\n".join(f"- {i}" for i in issues[:20]))}
        if decision.get("decision") == "release":  # a walidata let exactly these bytes through
            metadata["released_by"] = f"{decision['by']} ({decision['at']}): {decision['reason']}"
            return dg.AssetCheckResult(passed=True, metadata=metadata, severity=dg.AssetCheckSeverity.WARN)
        return dg.AssetCheckResult(passed=False, metadata=metadata, severity=dg.AssetCheckSeverity.ERROR)

    # A month's run re-reads the last parsed batch and merges only the rows of that month.
    @dg.asset(key=[*prefix, "warehouse"], group_name=group, tags=tags, kinds={"sql"}, automation_condition=follow,
              ins={"batch": dg.AssetIn(key=[*prefix, "staged"])}, deps=[DIMENSIONS_KEY],
              partitions_def=months if period else None,
              backfill_policy=dg.BackfillPolicy.single_run() if period else None,
              description="Digabung ke gudang data menurut kunci alami (upsert), dengan silsilah per baris"
                          + (f"; partisi per bulan dari kolom {period}." if period else "."))
    def warehouse_table(context: dg.AssetExecutionContext, batch: ParsedBatch, warehouse_db: WarehouseResource,
                        state: StateResource) -> dg.MaterializeResult:
        # A run of this step alone (a month's backfill from the UI) does not re-run the standard check,
        # so a batch the check quarantined is refused here unless a walidata released it.
        name = batch_id(batch.files)
        decision = decision_for(state.quarantine_root, regency.slug, dataset.name, name) or {}
        held = (state.quarantine_root / regency.slug / dataset.name / name).exists()
        if held and decision.get("decision") != "release":
            raise dg.Failure(f"{regency.slug}/{dataset.name}: batch {name} dikarantina, tidak digabung; perbaiki "
                             f"atau rilis dulu (satudata quarantine) / is quarantined and not merged; fix or "
                             f"release it first.")
        rows = within(batch.path, period, *run_bounds(context, months)) if period else batch.path
        merged = warehouse.merge(warehouse_db.engine(), standard, rows, regency.code, name, context.run_id,
                                 agency=dataset.agency.slug, complete=dataset.source.complete)
        count = len(rows) if isinstance(rows, pd.DataFrame) else batch.rows
        return dg.MaterializeResult(metadata={"rows": count, "inserted": merged.inserted,
                                              "updated": merged.updated, "unchanged": merged.unchanged,
                                              "deleted": merged.deleted, "version": merged.version,
                                              "table": warehouse.table_name(standard)})

    @dg.asset(key=[*prefix, "portal"], group_name=group, tags=tags, kinds={"ckan"},
              retry_policy=retry, pool="ckan_portal", automation_condition=follow,
              deps=[warehouse_table],
              ins={"regions": dg.AssetIn(key=REGIONS_KEY), "batch": dg.AssetIn(key=[*prefix, "staged"])},
              description="Diterbitkan ke portal CKAN dengan metadata Satu Data dan tabel DataStore.")
    def portal_dataset(context: dg.AssetExecutionContext, regions: pd.DataFrame, batch: ParsedBatch,
                       warehouse_db: WarehouseResource, portal: PortalResource,
                       state: StateResource) -> dg.MaterializeResult:
        if dataset.needs_approval:
            decided = approval.status(state.approvals_root, regency.slug, dataset.name, standard.ref)
            if decided != "approved":
                context.log.warning(f"{dataset.name}: {decided}, menunggu persetujuan walidata / "
                                    f"waiting for a walidata's approval of {standard.ref}")
                return dg.MaterializeResult(metadata={"publication_status": decided, "changed": False,
                                                      "api_writes": 0, "standard": standard.ref})
        # What the portal lacks of the warehouse is read from the warehouse's versions, not from the batch.
        table = warehouse.PublishedTable(warehouse_db.engine(), standard, regency.code)
        released = decision_for(state.quarantine_root, regency.slug, dataset.name, batch_id(batch.files))
        provenance = {"run_id": context.run_id, "raw_sha256": " ".join(f.sha256 for f in batch.files),
                      "validation_status": "Dirilis walidata" if released else "Lolos"}
        try:
            result = publish(portal.client(), regency, dataset, standard, table, provenance,
                             district_codes(regions), downloads=ALL_DOWNLOADS)
        except (PublishError, PersonalDataError) as error:
            # A refusal that would come again (no permission, personal data, a value the table refuses) fails
            # the step at once, naming the cause; the portal down or failing is retried by the step's policy.
            if isinstance(error, PersonalDataError) or error.permanent:
                raise dg.Failure(str(error), allow_retries=False) from error
            raise
        sources.settle(state.memo(regency.slug, dataset.name))   # published: the source may move on
        return dg.MaterializeResult(metadata={
            "publication_status": "published", "url": dg.MetadataValue.url(result.url),
            "changed": result.changed, "load_path": result.load_path, "rows_sent": result.rows_sent,
            "rows_deleted": result.rows_deleted, "versions": dg.MetadataValue.json(result.versions),
            "api_writes": len(result.writes), "write_actions": dg.MetadataValue.json(sorted(set(result.writes)))})

    return dg.Definitions(assets=[raw, staged, warehouse_table, portal_dataset], asset_checks=[meets_standard, on_time])
