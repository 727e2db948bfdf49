"""The validation report the public reads beside every published table: what was checked, against which
standard version, when, and with what result. The standard check writes it beside the staged batch it
checked (`report_path`); the portal step publishes it with the table (HTML to read, JSON for tools).

It carries rule names, columns and counts only, never a row's values: a batch a walidata released may
still hold failing values, and the report is public."""

import html
import json
from datetime import datetime, timezone
from pathlib import Path

from pipelines.raw import RawFile
from pipelines.validation import MESSAGES, RULE_CODES, RULE_MESSAGES


def report_path(staged: Path) -> Path:
    return staged.with_name(staged.name.removesuffix(".parquet") + ".validation.json")


def write(
    staged: Path,
    standard_ref: str,
    files: list[RawFile],
    rows: int,
    rules: list[dict],
    findings: int,
    released_by: str | None = None,
) -> dict:
    """The report of one check of one staged batch, written beside it; `rules` as `ValidationOutcome.rules`."""
    report = {
        "standard": standard_ref,
        "checked_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "result": "dirilis walidata / released by the walidata" if released_by else "lolos / passed",
        "released_by": released_by,
        "rows": rows,
        "findings": findings,
        "files": [{"name": f.name, "sha256": f.sha256, "size": f.size} for f in files],
        "rules": [
            {
                key: rule[key]
                for key in ("expectation", "column", "success", "unexpected_count", "rule", "file")
                if key in rule
            }
            for rule in rules
        ],
    }
    report_path(staged).write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return report


def read(staged: Path) -> dict | None:
    path = report_path(staged)
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def _rule_words(rule: dict) -> tuple[str, str, str]:
    """(code, Bahasa Indonesia, English) of a rule, without the placeholders a finding fills in."""
    name = rule.get("rule")
    pesan, message = RULE_MESSAGES.get(name) or MESSAGES.get(rule["expectation"], ("aturan", "rule"))
    code = RULE_CODES.get(name, RULE_CODES.get(rule["expectation"], ""))
    return code, pesan.split(" {")[0], message.split(" {")[0]


def render_html(report: dict, title: str) -> bytes:
    """One page a member of the public can read: the verdict first, then every rule with its result."""
    rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(str(v))}</td>"
            for v in (
                *_rule_words(rule),
                rule["column"],
                "lulus / passed" if rule["success"] else "gagal / failed",
                rule["unexpected_count"],
            )
        )
        + "</tr>"
        for rule in report["rules"]
    )
    head = "".join(
        f"<th>{h}</th>"
        for h in ("Kode / Code", "Aturan", "Rule", "Kolom / Column", "Hasil / Result", "Baris gagal / Failing rows")
    )
    files = "".join(f"<li>{html.escape(f['name'])} (sha256 {f['sha256'][:12]}…)</li>" for f in report["files"])
    released = (
        f"<p>Dirilis oleh walidata / released by the walidata: {html.escape(report['released_by'])}</p>"
        if report.get("released_by")
        else ""
    )
    return (
        f"<!doctype html><html lang='id'><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"<body><h1>{html.escape(title)}</h1>"
        f"<p>Diperiksa terhadap standar / checked against standard <b>{html.escape(report['standard'])}</b> "
        f"pada / at {html.escape(report['checked_at'])}: <b>{html.escape(report['result'])}</b>.</p>{released}"
        f"<p>{report['rows']} baris / rows, {report['findings']} temuan / findings, "
        f"{len(report['rules'])} aturan / rules.</p><ul>{files}</ul>"
        f"<table border='1'><tr>{head}</tr>{rows}</table></body></html>"
    ).encode()
