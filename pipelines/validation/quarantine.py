"""Quarantine: a batch that fails its checks is set aside with its raw files and a readable report
(JSON for tools, HTML for agency staff). Nothing of it goes further unless a walidata releases exactly those
bytes. `judge` is the one decision after the standard check; `standing` is what every later step asks."""

import html
import json
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.issues import Issue
from pipelines.parsing import Batch
from pipelines.raw import RawFile, batch_id
from pipelines.settings import private_folder
from pipelines.validation import report as validation_report


def _html(title: str, files: list[RawFile], issues: list[Issue]) -> str:
    head = "".join(
        f"<th>{h}</th>"
        for h in (
            "Berkas / File",
            "Baris / Row",
            "Kolom / Column",
            "Nilai / Value",
            "Aturan / Rule",
            "Kode / Code",
            "Pesan",
            "Message",
        )
    )
    body = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape('' if v is None else str(v))}</td>"
            for v in (i.file, i.row, i.column, i.value, i.rule, i.code, i.pesan, i.message)
        )
        + "</tr>"
        for i in issues
    )
    listed = "".join(f"<li>{html.escape(f.name)} (sha256 {f.sha256[:12]}…, {f.size} bytes)</li>" for f in files)
    return (
        f"<!doctype html><html lang='id'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<body><h1>{html.escape(title)}</h1><p>Data ini ditahan (karantina) dan tidak diterbitkan. "
        f"This batch is quarantined and was not published.</p><ul>{listed}</ul>"
        f"<p>{len(issues)} temuan / findings</p><table border='1'><tr>{head}</tr>{body}</table></body></html>"
    )


def quarantine(
    root: Path, regency: str, dataset: str, files: list[RawFile], issues: list[Issue], rules: list[dict]
) -> Path:
    """Write the report of a failed batch; returns its folder. Re-quarantining the same batch rewrites it."""
    folder = private_folder(root) / regency / dataset / batch_id(files)
    folder.mkdir(parents=True, exist_ok=True)
    report = {
        "regency": regency,
        "dataset": dataset,
        "batch": folder.name,
        "quarantined_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size, "raw_path": f.path} for f in files],
        "issue_count": len(issues),
        "rules": rules,
        "issues": [i.as_dict() for i in issues],
    }
    (folder / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    title = f"Laporan karantina / Quarantine report: {regency} {dataset} {folder.name}"
    (folder / "report.html").write_text(_html(title, files, issues), encoding="utf-8")
    return folder


DECISIONS = ("release", "reject")


def decide(root: Path, regency: str, dataset: str, batch: str, decision: str, steward: str, reason: str) -> dict:
    """A walidata's decision on a quarantined batch, recorded beside its report. `release` lets exactly
    this batch (same files, same bytes) through its next check; `reject` keeps it out for good."""
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    folder = Path(root) / regency / dataset / batch
    if not (folder / "report.json").exists():
        raise FileNotFoundError(f"tidak ada batch karantina / no quarantined batch {regency}/{dataset}/{batch}")
    record = {
        "decision": decision,
        "by": steward,
        "reason": reason,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    (folder / "decision.json").write_text(json.dumps(record, indent=2, ensure_ascii=False), encoding="utf-8")
    return record


def decision_for(root: Path, regency: str, dataset: str, batch: str) -> dict | None:
    path = Path(root) / regency / dataset / batch / "decision.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


@dataclass(frozen=True)
class Standing:
    """Where a batch stands with the quarantine: `held` (quarantined, waiting for its agency or a walidata),
    `released` (quarantined, let through by a walidata: `by`), or neither (it passed its check)."""

    held: bool = False
    released_by: str = ""

    @property
    def blocked(self) -> bool:
        """Not to be merged or published: held and not released (a rejected batch stays blocked)."""
        return self.held and not self.released_by


def standing(root: Path, regency: str, dataset: str, batch: str) -> Standing:
    """The one place that decides whether a batch may go on: every step after the check asks it."""
    if not (Path(root) / regency / dataset / batch).exists():
        return Standing()
    decision = decision_for(root, regency, dataset, batch) or {}
    if decision.get("decision") == "release":
        return Standing(held=True, released_by=f"{decision['by']} ({decision['at']}): {decision['reason']}")
    return Standing(held=True)


def list_batches(root: Path) -> list[dict]:
    """Every quarantined batch with its issue count and the decision taken, newest first."""
    batches = []
    for report_path in Path(root).glob("*/*/*/report.json"):
        report = json.loads(report_path.read_text(encoding="utf-8"))
        decision = decision_for(root, report["regency"], report["dataset"], report["batch"])
        batches.append(
            {k: report[k] for k in ("regency", "dataset", "batch", "quarantined_at", "issue_count")}
            | {
                "files": [f["name"] for f in report["files"]],
                "decision": decision["decision"] if decision else "open",
                "report": str(report_path.with_name("report.html")),
            }
        )
    return sorted(batches, key=lambda b: b["quarantined_at"], reverse=True)


@dataclass(frozen=True)
class Verdict:
    """What the standard check decided for a batch: whether it goes on, the quarantine folder holding its
    report when anything was found, and who released it when a walidata let it through."""

    passed: bool
    folder: Path | None = None
    released_by: str = ""


def judge(
    root: Path, regency: str, dataset: str, batch: Batch, standard_ref: str, issues: list[Issue], rules: list[dict]
) -> Verdict:
    """A clean batch goes on with its validation report (published beside its table). A batch with findings
    is quarantined with its report, and goes on only when a walidata released exactly these bytes; its
    validation report then says so and counts the findings."""
    if not issues:
        validation_report.write(batch.path, standard_ref, batch.files, batch.rows, rules, 0)
        return Verdict(passed=True)
    folder = quarantine(root, regency, dataset, batch.files, issues, rules)
    released_by = standing(root, regency, dataset, folder.name).released_by
    if released_by:
        validation_report.write(
            batch.path, standard_ref, batch.files, batch.rows, rules, len(issues), released_by=released_by
        )
    return Verdict(passed=bool(released_by), folder=folder, released_by=released_by)
