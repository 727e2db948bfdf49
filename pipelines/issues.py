"""One finding about agency data, named precisely enough for agency staff to fix it: which file, which
row, which column, what value, which rule, in Bahasa Indonesia and English."""

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Issue:
    file: str
    row: int | None  # 1-based row in the agency's file (the header row for column problems)
    column: str | None
    value: str | None
    rule: str
    pesan: str  # Bahasa Indonesia
    message: str  # English
    code: str = ""  # its entry in pipelines/findings.py (empty for the standard's rules)

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"{self.file}, baris/row {self.row}" if self.row else self.file
        if self.column:
            where += (", " if where else "") + f"kolom/column {self.column!r}"
        value = f" [{self.value!r}]" if self.value is not None else ""
        code = f" [{self.code}]" if self.code else ""
        return f"{where}{value}: {self.pesan} / {self.message}{code}"


def drop_consequences(parse_issues: list[Issue], check_issues: list[Issue]) -> list[Issue]:
    """A column the parser found missing (or unreadable as a whole) makes every row fail the checks on
    it too, and a cell it could not read is empty to the checks; report the cause once."""
    missing = {i.column for i in parse_issues if i.rule == "struktur" and i.column}
    unread = {(i.file, i.row, i.column) for i in parse_issues if i.row and i.column}
    return [i for i in check_issues if i.column not in missing and (i.file, i.row, i.column) not in unread]
