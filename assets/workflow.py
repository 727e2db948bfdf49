"""The publication workflow as a Dagster job, so a walidata can approve or reject a dataset from the UI
(Launchpad) as well as with `satudata approval`."""

import dagster as dg

from assets.resources import StateResource
from pipelines.catalogue import load_catalogue
from pipelines.standard import load_standard
from pipelines.stewardship import approval


class ApprovalConfig(dg.Config):
    regency: str  # e.g. ppu
    dataset: str  # e.g. harga-pasar
    decision: str = "approved"  # approved | rejected
    by: str
    note: str = ""


@dg.op(description="Catat keputusan walidata / record a walidata's decision on the current standard version")
def record_approval(context: dg.OpExecutionContext, config: ApprovalConfig, state: StateResource) -> None:
    regency = next(r for r in load_catalogue().regencies if r.slug == config.regency)
    dataset = next(d for d in regency.datasets if d.name == config.dataset)
    entry = approval.record(
        state.approvals_root,
        regency.slug,
        dataset.name,
        load_standard(dataset.schema).ref,
        config.decision,
        config.by,
        config.note,
    )
    context.log.info(f"{regency.slug}/{dataset.name}: {entry}")


@dg.job(description="Setujui atau tolak terbit pertama / approve or reject a first publication")
def approve_dataset():
    record_approval()
