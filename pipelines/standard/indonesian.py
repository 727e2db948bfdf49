"""How agency staff write months, days and ranges: the one definition read by the cell parser
(pipelines/parsing/values.py) and the period reader (pipelines/standard/period.py).

Hand-written on purpose: CLDR (babel) and dateparser know the current spellings only (Februari, Agu, Sep),
while government files still use the pre-1972 and colloquial ones (Pebruari, Nopember, Agt., Agust, Sept);
a dictionary lookup also costs nothing at import, which the agency self-check pays on every run."""

import re

# month number -> every spelling seen in agency files: current, old (EYD 1972 and before), abbreviations
# with or without their dot, and English (systems with English locales).
MONTHS = {
    1: ("januari", "jan", "january"),
    2: ("februari", "pebruari", "feb", "peb", "pebr", "febr", "february"),
    3: ("maret", "mar", "mrt", "march"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "jun", "june"),
    7: ("juli", "jul", "july"),
    8: ("agustus", "agust", "agus", "agu", "agt", "ags", "aug", "august"),
    9: ("september", "sept", "sep", "spt"),
    10: ("oktober", "okt", "oct", "october"),
    11: ("november", "nopember", "nov", "nop"),
    12: ("desember", "des", "dec", "december"),
}
MONTH_WORDS = {word: number for number, words in MONTHS.items() for word in words}

# Day names written before a date ("Senin, 5 Oktober 2026", "Jum'at 9 Okt 2026"): dropped before reading it.
DAYS = (
    "senin",
    "selasa",
    "rabu",
    "kamis",
    "jumat",
    "jum'at",
    "sabtu",
    "minggu",
    "ahad",
    "sen",
    "sel",
    "rab",
    "kam",
    "jum",
    "sab",
    "min",
)
LEADING_DAY = re.compile(r"^(?:" + "|".join(sorted(map(re.escape, DAYS), key=len, reverse=True)) + r")\b[\s,.]*")
