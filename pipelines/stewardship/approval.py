"""The Satu Data publication workflow: a dataset that needs approval stays a draft until a walidata
approves its first version (draft -> approved / rejected -> published). Later versions publish on their
own unless the standard's version changed. Every decision is recorded: who, when, which version."""

import json
from datetime import datetime, timezone
from pathlib import Path

DECISIONS = ("approved", "rejected")


def _log(root: Path, regency: str, dataset: str) -> Path:
    return Path(root) / regency / f"{dataset}.jsonl"


def record(
    root: Path, regency: str, dataset: str, standard_ref: str, decision: str, steward: str, note: str = ""
) -> dict:
    if decision not in DECISIONS:
        raise ValueError(f"decision must be one of {DECISIONS}")
    entry = {
        "standard": standard_ref,
        "decision": decision,
        "by": steward,
        "note": note,
        "at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    path = _log(root, regency, dataset)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False) + "\n")
    return entry


def history(root: Path, regency: str, dataset: str) -> list[dict]:
    path = _log(root, regency, dataset)
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()] if path.exists() else []


def status(root: Path, regency: str, dataset: str, standard_ref: str) -> str:
    """`approved`, `rejected` or `draft` for this version of the standard: the latest decision counts."""
    decisions = [e for e in history(root, regency, dataset) if e["standard"] == standard_ref]
    return decisions[-1]["decision"] if decisions else "draft"
