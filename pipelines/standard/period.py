"""The reported period of a delivery: what a file name says it covers (`harga_pasar_2026-10.csv`,
`rekap_oktober_2026.xlsx`, `bank_sampah_2025_TW1.csv`, `rekap_2025.xlsx`, `rekap Januari s.d. Maret 2025.xlsx`,
`harga 1 s.d. 15 Okt 2026.csv`), or what the catalogue says. Month spellings: pipelines/standard/indonesian.py.
Every row's period-field date must lie inside it."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from pipelines.standard.indonesian import MONTH_WORDS

QUARTER_WORDS = {"tw", "triwulan", "q", "kuartal"}
HALF_WORDS = {"semester", "smt", "sem", "s"}
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
# What joins the ends of a range once punctuation is gone: `s.d.`, `s/d`, `sd`, `sampai (dengan)`, `hingga`
# (a dash is dropped with the punctuation, so `Januari-Maret` has no joiner at all).
JOINERS = {"s", "d", "sd", "sampai", "dengan", "hingga"}


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive
    label: str  # as a steward reads it: 2026-10, 2025 TW1, 2025

    def __str__(self) -> str:
        return self.label


def _month(year: int, month: int) -> Period:
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), following - timedelta(days=1), f"{year}-{month:02d}")


def _months(year: int, first: int, count: int, label: str) -> Period:
    return Period(_month(year, first).start, _month(year, first + count - 1).end, label)


def _tokens(text: str) -> list[str]:
    """Lower-case words and numbers: `TW1` -> tw, 1; `2026-10_minggu1-2` -> 2026, 10, minggu, 1, 2."""
    return re.findall(r"[a-z]+|\d+", text.lower())


def _is_year(token: str) -> bool:
    return len(token) == 4 and token.isdigit() and 1990 <= int(token) <= 2100


def _number(token: str | None, top: int) -> int | None:
    if token is None:
        return None
    value = ROMAN.get(token) or (int(token) if token.isdigit() and len(token) <= 2 else None)
    return value if value and 1 <= value <= top else None


def _month_or_day(year: int, month: int, day: str | None) -> Period:
    """The month, or the single day when `day` is a day of that month."""
    whole = _month(year, month)
    if day and day.isdigit() and len(day) <= 2 and 1 <= int(day) <= whole.end.day:
        chosen = date(year, month, int(day))
        return Period(chosen, chosen, chosen.isoformat())
    return whole


def _before_joiners(tokens: list[str], at: int) -> str | None:
    """The token at or before `at` once the words joining a range are passed over."""
    while at >= 0 and tokens[at] in JOINERS:
        at -= 1
    return tokens[at] if at >= 0 else None


def _is_day(token: str | None) -> bool:
    return bool(token) and token.isdigit() and len(token) <= 2 and 1 <= int(token) <= 31


def _range(tokens: list[str], month_at: int, year: int) -> Period | None:
    """`Januari s.d. Maret 2025` (months) or `1 s.d. 15 Oktober 2026` (days) ending at the month word at
    `month_at`; None when no range ends there."""
    month = MONTH_WORDS[tokens[month_at]]
    last_day = tokens[month_at - 1] if month_at else None
    if _is_day(last_day):
        first_day = _before_joiners(tokens, month_at - 2)
        whole = _month(year, month)
        if _is_day(first_day) and int(first_day) < int(last_day) <= whole.end.day:
            start, end = date(year, month, int(first_day)), date(year, month, int(last_day))
            return Period(start, end, f"{start.isoformat()}..{end.isoformat()}")
        return None
    first = _before_joiners(tokens, month_at - 1)
    if first in MONTH_WORDS and MONTH_WORDS[first] < month:
        return _months(
            year,
            MONTH_WORDS[first],
            month - MONTH_WORDS[first] + 1,
            f"{year}-{MONTH_WORDS[first]:02d}..{year}-{month:02d}",
        )
    return None


def _around(tokens: list[str], at: int) -> Period | None:
    """The period stated around the year at `tokens[at]`."""
    year = int(tokens[at])
    before = tokens[at - 1] if at else None
    before2 = tokens[at - 2] if at > 1 else None
    after = tokens[at + 1] if at + 1 < len(tokens) else None
    after2 = tokens[at + 2] if at + 2 < len(tokens) else None
    for word, number in ((before2, before), (after, after2)):  # TW1 2025, 2025 TW1, Semester 2 2025
        if word in QUARTER_WORDS and _number(number, 4):
            quarter = _number(number, 4)
            return _months(year, 3 * quarter - 2, 3, f"{year} TW{quarter}")
        if word in HALF_WORDS and _number(number, 2):
            half = _number(number, 2)
            return _months(year, 6 * half - 5, 6, f"{year} S{half}")
    spanned = _range(tokens, at - 1, year) if before in MONTH_WORDS else None
    if spanned:  # Januari s.d. Maret 2025, 1-15 Okt 2026
        return spanned
    for word in (before, after):  # Oktober 2026, 2026_okt
        if word in MONTH_WORDS:
            return _month(year, MONTH_WORDS[word])
    if _number(after, 12) and after.isdigit():  # 2026-10, 2026-10-05
        return _month_or_day(year, int(after), after2)
    if before and before.isdigit() and _number(before, 12):  # 10-2026, 05-10-2026
        return _month_or_day(year, int(before), before2)
    return Period(date(year, 1, 1), date(year, 12, 31), str(year))


def period_of(text: str) -> Period | None:
    """The period a file name (or a catalogue value such as `2026-10` or `TW1 2025`) states, or None when it
    states none, or more than one (`rekap_2025_2026.xlsx`: no guess)."""
    stem = re.sub(r"\.[A-Za-z0-9]{2,5}$", "", text)
    tokens = _tokens(stem)
    found = {_around(tokens, n) for n, token in enumerate(tokens) if _is_year(token)}
    return found.pop() if len(found) == 1 else None
