"""Per standard, the chain every regency delivering it shares: raw -> staged (+ blocking standard check)
-> warehouse -> portal, partitioned by regency (assets/partitions.py). The partition names the regency; its
catalogue entry (agency, source, columns, portal) is looked up when the step runs. Everything here is wiring;
the work happens in `pipelines`."""

import warnings
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import NoReturn

import dagster as dg
import pandas as pd

from assets.keys import key
from assets.partitions import MonthsConfig, within
from assets.reference import DATA_INDUK_KEY, DIMENSIONS_KEY, EDITION_CHANGES_KEY, REGIONS_KEY
from assets.resources import PortalsResource, StateResource, WarehouseResource
from pipelines import sources, warehouse
from pipelines.catalogue import Dataset, Regency, load_pipeline_config, load_reference_config
from pipelines.disk import disk_full
from pipelines.parsing import Batch, parse_files, unpivot
from pipelines.publish import ALL_DOWNLOADS, PersonalDataError, PublishResult, publish
from pipelines.raw import RawArchive, RawFile
from pipelines.standard import Standard
from pipelines.standard.reference import explain_retired, region_codes_for
from pipelines.stewardship import approval
from pipelines.stewardship.daftar_data import release_deadlines
from pipelines.stewardship.freshness import dataset_lateness, describe
from pipelines.validation import report as validation_report
from pipelines.validation.check import CheckedBatch, check_batch
from pipelines.validation.privacy import district_codes
from pipelines.validation.quarantine import Verdict, judge, standing

PREVIEW_ROWS = 10
STEPS = ("raw", "staged", "warehouse", "portal")
CHECK_FOR_LATE = "tepat_waktu"  # on the raw step: the agency delivers on time (a warning)
CHECK_FOR_QUARANTINE = "memenuhi_standar"  # on the staged step: the standard check (blocking)
# Declarative automation: when a steward re-runs one step of a regency, the steps after it follow for that
# regency; never past a failed blocking check (quarantine), and not merely because shared reference data was
# refreshed.
FOLLOW = (
    dg.AutomationCondition.eager().ignore(dg.AssetSelection.groups("reference"))
    & dg.AutomationCondition.all_deps_blocking_checks_passed()
)
# Checks on partitioned assets are marked preview; they are how a check result belongs to one regency.
warnings.filterwarnings("ignore", message=".*partitions_def on an AssetCheckSpec", category=dg.PreviewWarning)


@dataclass(frozen=True)
class Delivery:
    """One regency's catalogue entry for a standard: who delivers it, from where, published on which portal."""

    regency: Regency
    dataset: Dataset
    standard: Standard

    @property
    def source_kind(self) -> str:
        return self.dataset.source.kind


def asset_key(standard_name: str, step: str) -> dg.AssetKey:
    return key(standard_name.replace("-", "_"), step)


def retry_or_fail(context, dataset: Dataset, error: Exception) -> NoReturn:
    """A step that failed talking to an agency or the portal is tried again as the dataset's `retry:` says
    (catalogue/pipeline.yaml, per dataset override); a refusal that would come again fails at once. Retries
    are requested per regency here because one step serves every regency, each with its own settings."""
    if isinstance(error, dg.Failure):
        raise error
    if full := disk_full(error):
        raise dg.Failure(full, allow_retries=False) from error
    if isinstance(error, PersonalDataError) or getattr(error, "permanent", False):
        raise dg.Failure(str(error), allow_retries=False) from error
    retry = dataset.retry
    wait = retry["delay_seconds"] * (2**context.retry_number if retry["backoff"] == "exponential" else 1)
    raise dg.RetryRequested(max_retries=retry["max_retries"], seconds_to_wait=wait) from error


@contextmanager
def disk_full_named():
    """A step writing to the state folder's disk fails with the full disk named and what to do, not with a
    library's traceback."""
    try:
        yield
    except OSError as error:
        if full := disk_full(error):
            raise dg.Failure(full, allow_retries=False) from error
        raise


def on_time(found: Delivery, archive: RawArchive) -> dg.AssetCheckResult:
    """`tepat_waktu`: whether the agency's last new delivery came by the release schedule of the Daftar Data
    (else by the standard's frequency and the dataset's grace hours); late is a warning, never a block."""
    regency, dataset = found.regency, found.dataset
    frequency = found.standard.metadata["frekuensi"]
    schedule = release_deadlines(regency, dataset.name)
    last, late = dataset_lateness(
        archive.manifest(regency.slug, dataset.name), frequency, dataset.grace_hours, schedule
    )
    metadata = {
        "agency": dataset.agency.name,
        "dataset": dataset.name,
        "regency": regency.name,
        "frequency": frequency,
        "last_new_delivery": last.isoformat() if last else "belum pernah / never",
        "due_by": "jadwal rilis Daftar Data / the Daftar Data's release schedule"
        if schedule
        else "frekuensi / the frequency",
    }
    if late is None or late <= timedelta(0):
        return dg.AssetCheckResult(check_name=CHECK_FOR_LATE, passed=True, metadata=metadata)
    metadata["late_by"] = describe(late)
    return dg.AssetCheckResult(
        check_name=CHECK_FOR_LATE, passed=False, severity=dg.AssetCheckSeverity.WARN, metadata=metadata
    )


def check_metadata(regency: Regency, standard: Standard, checked: CheckedBatch, verdict: Verdict) -> dict:
    """What the Dagster UI shows of a standard check: the rules and findings, the periods the files lack, and
    the quarantine report or who released the batch."""
    rules = checked.outcome.rules
    metadata = {
        "regency": regency.name,
        "standard": standard.ref,
        "rules": len(rules),
        "failed_rules": sum(not r["success"] for r in rules),
        "issues": len(checked.issues),
        "personal_data_findings": len(checked.personal),
        "results": dg.MetadataValue.json(rules),
        "periode_belum_lengkap": dg.MetadataValue.md("\n".join(f"- {m}" for m in checked.missing_periods) or "-"),
    }
    if verdict.folder:
        metadata |= {
            "batch": verdict.folder.name,
            "quarantine_report": dg.MetadataValue.path(str(verdict.folder / "report.html")),
            "examples": dg.MetadataValue.md("\n".join(f"- {i}" for i in checked.issues[:20])),
        }
    if verdict.released_by:  # a walidata let exactly these bytes through
        metadata["released_by"] = verdict.released_by
    return metadata


def lock_personal_data(archive: RawArchive, found: Delivery, batch: Batch, checked: CheckedBatch) -> date | None:
    """The raw bytes of a batch with personal data are locked before anything is decided about it, and
    deleted when the catalogue's retention ends (that day is returned)."""
    if not checked.personal:
        return None
    return archive.mark_personal(
        found.regency.slug,
        found.dataset.name,
        batch.files,
        sorted({f"{i.code}: {i.column}" for i in checked.personal}),
        load_pipeline_config()["personal_data"]["raw_retention_days"],
    )


def refuse_unless_clear(quarantine_root: Path, found: Delivery, batch: Batch) -> None:
    """A run of the warehouse step alone (a month's backfill) does not re-run the standard check, so a batch
    the check quarantined is refused here unless a walidata released it."""
    regency, dataset = found.regency, found.dataset
    if standing(quarantine_root, regency.slug, dataset.name, batch.id).blocked:
        raise dg.Failure(
            f"{regency.slug}/{dataset.name}: batch {batch.id} dikarantina, tidak digabung; perbaiki "
            f"atau rilis dulu (satudata quarantine) / is quarantined and not merged; fix or "
            f"release it first.",
            allow_retries=False,
        )


def awaiting_approval(context, approvals_root: Path, found: Delivery) -> dg.MaterializeResult | None:
    """A dataset that needs a walidata's approval stays unpublished until its version is approved."""
    regency, dataset, standard = found.regency, found.dataset, found.standard
    if not dataset.needs_approval:
        return None
    decided = approval.status(approvals_root, regency.slug, dataset.name, standard.ref)
    if decided == "approved":
        return None
    context.log.warning(
        f"{regency.slug}/{dataset.name}: {decided}, menunggu persetujuan walidata / "
        f"waiting for a walidata's approval of {standard.ref}"
    )
    return dg.MaterializeResult(
        metadata={"publication_status": decided, "changed": False, "api_writes": 0, "standard": standard.ref}
    )


def publication_metadata(result: PublishResult) -> dict:
    """What the Dagster UI shows of a publication, for a regency's dataset and a province's alike."""
    return {
        "publication_status": "published",
        "url": dg.MetadataValue.url(result.url),
        "changed": result.changed,
        "load_path": result.load_path,
        "rows_sent": result.rows_sent,
        "rows_deleted": result.rows_deleted,
        "versions": dg.MetadataValue.json(result.versions),
        "api_writes": len(result.writes),
        "write_actions": dg.MetadataValue.json(sorted(set(result.writes))),
    }


def chain_definitions(
    chains: dict[str, dict[str, Delivery]], regencies: dg.StaticPartitionsDefinition
) -> dg.Definitions:
    """The chains of standards that share their steps' code: `chains` by standard name (e.g. harga-pasar, or
    indikator-jumlah-penduduk), each with its deliveries by regency slug. The first chain is built from the
    decorators below; the others are copies of it under their own keys, group and step names, which costs a
    fraction of decorating again: the long tail of indicators, one chain each, stays cheap to load. A step
    finds its delivery from its own asset key and partition."""
    by_group = {name.replace("-", "_"): found for name, found in chains.items()}
    first, *others = sorted(chains)
    built = _chain(first, by_group, regencies)
    copies = [_copy(definition, first, name) for name in others for definition in built]
    return dg.Definitions(
        assets=[d for d in built + copies if not isinstance(d, dg.AssetChecksDefinition)],
        asset_checks=[d for d in built + copies if isinstance(d, dg.AssetChecksDefinition)],
    )


def _copy(definition: dg.AssetsDefinition, first: str, name: str) -> dg.AssetsDefinition:
    """A step of the first chain made the same step of chain `name`. Its op is renamed too: Dagster would
    number steps sharing one op in a job, at a cost growing with the square of their number."""
    group = name.replace("-", "_")
    renamed = definition.with_attributes(
        asset_key_replacements={asset_key(first, step): asset_key(name, step) for step in STEPS}
    )
    if not isinstance(renamed, dg.AssetChecksDefinition):
        renamed = renamed.map_asset_specs(lambda spec: spec.replace_attributes(group_name=group))
    op = renamed.node_def
    return type(renamed).dagster_internal_init(
        **{
            **renamed.get_attributes_dict(),
            "node_def": op.with_replaced_properties(name=op.name.replace(first.replace("-", "_"), group, 1)),
        }
    )


def _chain(name: str, by_group: dict[str, dict[str, Delivery]], regencies: dg.StaticPartitionsDefinition) -> list:
    """The steps of one standard (`name`), as the decorators build them."""
    newest = max(
        (d.standard for d in by_group[name.replace("-", "_")].values()),
        key=lambda s: tuple(map(int, s.version.split("."))),
    )
    group = name.replace("-", "_")

    def delivery(context) -> Delivery:
        asset = (
            context.check_specs[0].asset_key
            if isinstance(context, dg.AssetCheckExecutionContext)
            else context.asset_key
        )
        found = by_group.get(asset.path[-2], {}).get(context.partition_key)
        if found is None:
            raise dg.Failure(
                f"{context.partition_key} tidak mengirim {asset.path[-2]} menurut katalognya / does "
                f"not deliver {asset.path[-2]} according to its catalogue",
                allow_retries=False,
            )
        return found

    # Not every run brings something: an unchanged URL (HTTP 304) or a database with no new rows yields
    # no output, and the steps after it are skipped instead of failing. Whether the agency is on time is
    # judged by this step itself, every run: a check of its own would be skipped with the steps after a
    # run that brought nothing, which is when an agency is late.
    @dg.asset(
        key=asset_key(name, "raw"),
        group_name=group,
        kinds={"file"},
        output_required=False,
        partitions_def=regencies,
        pool="agency_sources",
        description="Berkas asli dari OPD, diarsipkan apa adanya (sha256) / the agency's files as sent.",
        check_specs=[
            dg.AssetCheckSpec(
                CHECK_FOR_LATE,
                asset=asset_key(name, "raw"),
                partitions_def=regencies,
                description="Kiriman OPD tiba tepat waktu menurut jadwal rilis Daftar Data, atau frekuensinya / "
                "the agency delivers by the Daftar Data's release schedule, or by its frequency.",
            )
        ],
    )
    def raw(context: dg.AssetExecutionContext, state: StateResource):
        regency, dataset = (found := delivery(context)).regency, found.dataset
        archive = state.archive()
        memo = state.memo(regency.slug, dataset.name)
        try:
            files = [
                archive.store(regency.slug, dataset.name, d.name, d.data, d.origin)
                for d in sources.pull(dataset.source, memo)
            ]
        except Exception as error:
            retry_or_fail(context, dataset, error)
        yield on_time(found, archive)
        if not files or sources.unchanged(memo, [(f.name, f.sha256) for f in files]):
            context.log.info(f"Tidak ada kiriman baru / nothing new from {dataset.agency.name} ({dataset.source.kind})")
            return
        yield dg.Output(
            files,
            metadata={
                "agency": dataset.agency.name,
                "files": dg.MetadataValue.json([f.name for f in files]),
                "bytes": sum(f.size for f in files),
                "sha256": dg.MetadataValue.json({f.name: f.sha256 for f in files}),
            },
        )

    @dg.asset(
        key=asset_key(name, "staged"),
        group_name=group,
        kinds={"parquet"},
        automation_condition=FOLLOW,
        partitions_def=regencies,
        ins={"files": dg.AssetIn(key=asset_key(name, "raw")), "regions": dg.AssetIn(key=REGIONS_KEY)},
        description=f"Baris bertipe menurut standar {newest.ref} / rows typed by the standard.",
    )
    def staged(
        context: dg.AssetExecutionContext, files: list[RawFile], regions: pd.DataFrame, state: StateResource
    ) -> Batch:
        regency, dataset = (found := delivery(context)).regency, found.dataset
        with disk_full_named():
            batch = parse_files(
                files,
                found.standard,
                dataset.columns,
                dataset.source.options,
                folder=state.staged_root / regency.slug / dataset.name,
                districts=unpivot.districts(regions, regency.code),
            )
        context.add_output_metadata(
            {
                "dagster/row_count": batch.rows,
                "parse_issues": len(batch.issues),
                # What was not data (titles, notes, totals, signatures): told, never silently dropped.
                "skipped_rows": sum(s.last_row - s.row + 1 for s in batch.skipped),
                "skipped": dg.MetadataValue.md("\n".join(f"- {s}" for s in batch.skipped[:PREVIEW_ROWS]) or "-"),
                "staged_file": dg.MetadataValue.path(str(batch.path)),
                "preview": dg.MetadataValue.md(batch.head(PREVIEW_ROWS).to_markdown(index=False)),
            }
        )
        return batch

    @dg.asset_check(
        asset=staged,
        name=CHECK_FOR_QUARANTINE,
        blocking=True,
        partitions_def=regencies,
        additional_ins={
            "regions": dg.AssetIn(key=REGIONS_KEY),
            "edition_changes": dg.AssetIn(key=EDITION_CHANGES_KEY),
            "data_induk": dg.AssetIn(key=DATA_INDUK_KEY),
        },
        description=f"Great Expectations: standar Satu Data {newest.ref}. Gagal = karantina.",
    )
    def meets_standard(
        context: dg.AssetCheckExecutionContext,
        staged: Batch,
        regions: pd.DataFrame,
        edition_changes: pd.DataFrame,
        data_induk: dict,
        state: StateResource,
    ) -> dg.AssetCheckResult:
        regency, dataset, standard = (found := delivery(context)).regency, found.dataset, found.standard
        edition = load_reference_config()["kemendagri_regions"]["edition"]
        checked = check_batch(
            staged,
            standard,
            region_codes_for(standard, regions, regency.code),
            district_codes(regions),
            references=data_induk.get(regency.slug, {}),
            period=dataset.period,
            explain=lambda found: explain_retired(found, edition_changes, edition),
        )
        until = lock_personal_data(state.archive(), found, staged, checked)  # first, whatever follows
        with disk_full_named():
            verdict = judge(
                state.quarantine_root,
                regency.slug,
                dataset.name,
                staged,
                standard.ref,
                checked.issues,
                checked.outcome.rules,
            )
        metadata = check_metadata(regency, standard, checked, verdict)
        if until is not None:
            metadata["raw_personal_data"] = f"dikunci, dihapus setelah / locked, deleted after {until}"
        # A batch a walidata released goes on with a warning on the check; a held one stops its chain.
        severity = dg.AssetCheckSeverity.WARN if verdict.released_by else dg.AssetCheckSeverity.ERROR
        return dg.AssetCheckResult(passed=verdict.passed, metadata=metadata, severity=severity)

    @dg.asset(
        key=asset_key(name, "warehouse"),
        group_name=group,
        kinds={"sql"},
        automation_condition=FOLLOW,
        partitions_def=regencies,
        ins={"batch": dg.AssetIn(key=asset_key(name, "staged"))},
        deps=[DIMENSIONS_KEY],
        description="Digabung ke gudang data menurut kunci alami (upsert), dengan silsilah per baris / merged "
        "into the warehouse by natural key, with lineage per row.",
    )
    def warehouse_table(
        context: dg.AssetExecutionContext,
        config: MonthsConfig,
        batch: Batch,
        warehouse_db: WarehouseResource,
        state: StateResource,
    ) -> dg.MaterializeResult:
        regency, dataset, standard = (found := delivery(context)).regency, found.dataset, found.standard
        refuse_unless_clear(state.quarantine_root, found, batch)
        start, end = config.bounds()
        if (start or end) and not standard.period_field:
            raise dg.Failure(
                f"{standard.ref} tidak berperiode; jalankan tanpa `bulan` / has no period; run it without `bulan`",
                allow_retries=False,
            )
        rows = within(batch.path, standard.period_field, start, end) if standard.period_field else batch.path
        with disk_full_named():
            merged = warehouse.merge(
                warehouse_db.engine(),
                standard,
                rows,
                regency.code,
                batch.id,
                context.run_id,
                agency=dataset.agency.slug,
                complete=dataset.source.complete,
            )
        return dg.MaterializeResult(
            metadata={
                "rows": len(rows) if isinstance(rows, pd.DataFrame) else batch.rows,
                "inserted": merged.inserted,
                "months": config.bulan or "semua / all",
                "updated": merged.updated,
                "unchanged": merged.unchanged,
                "deleted": merged.deleted,
                "version": merged.version,
                "table": warehouse.table_name(standard),
            }
        )

    @dg.asset(
        key=asset_key(name, "portal"),
        group_name=group,
        kinds={"ckan"},
        pool="ckan_portal",
        automation_condition=FOLLOW,
        partitions_def=regencies,
        deps=[warehouse_table],
        ins={"regions": dg.AssetIn(key=REGIONS_KEY), "batch": dg.AssetIn(key=asset_key(name, "staged"))},
        description="Diterbitkan ke portal CKAN kabupaten dengan metadata Satu Data dan tabel DataStore / "
        "published to the regency's portal with Satu Data metadata and a DataStore table.",
    )
    def portal_dataset(
        context: dg.AssetExecutionContext,
        regions: pd.DataFrame,
        batch: Batch,
        warehouse_db: WarehouseResource,
        portals: PortalsResource,
        state: StateResource,
    ) -> dg.MaterializeResult:
        regency, dataset, standard = (found := delivery(context)).regency, found.dataset, found.standard
        if waiting := awaiting_approval(context, state.approvals_root, found):
            return waiting
        # What the portal lacks of the warehouse is read from the warehouse's versions, not from the batch.
        table = warehouse.PublishedTable(warehouse_db.engine(), standard, regency.code)
        released = standing(state.quarantine_root, regency.slug, dataset.name, batch.id).released_by
        provenance = {
            "run_id": context.run_id,
            "raw_sha256": " ".join(f.sha256 for f in batch.files),
            "validation_status": "Dirilis walidata" if released else "Lolos",
        }
        try:
            result = publish(
                portals.client(regency.portal, regency.api_token_env),
                regency,
                dataset,
                standard,
                table,
                provenance,
                district_codes(regions),
                downloads=ALL_DOWNLOADS,
                validation=validation_report.read(batch.path),
            )
        except Exception as error:
            retry_or_fail(context, dataset, error)
        sources.settle(state.memo(regency.slug, dataset.name))  # published: the source may move on
        return dg.MaterializeResult(metadata=publication_metadata(result))

    return [raw, staged, warehouse_table, portal_dataset, meets_standard]
