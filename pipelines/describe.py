"""`satudata describe`: onboarding a dataset from an agency's sample files. It drafts a Satu Data standard
(`schemas/<name>/1.0.0.yaml`) and a catalogue entry with the column mapping, for the walidata to review.

The samples are read by the pipeline's own parser (pipelines/parsing/: encodings, delimiters, title rows,
notes and totals, Indonesian numbers and dates), and each column's type is the first the pipeline's own readers
take every value as, confirmed by parsing the samples again in that type: so the drafted standard accepts the
samples it came from. Beyond a generic `frictionless describe`, it reads `12.500` and `Rp 12.500,-` as numbers
and `22/09/2025` and `22 September 2025` as dates, keeps codes with leading zeros as text, recognises
Kemendagri region codes (checked against the Kemendagri table, dotted or not), BPS codes and columns of region
names, units written in headers (`Harga (Rp)`, `Volume (kg)`), and personal data (which the standard marks so
it is never published). Only the header is found here: the parser needs the labels to look for."""

import csv
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from itertools import combinations
from pathlib import Path

import pandas as pd
import yaml

from pipelines import parsing
from pipelines.raw import RawFile
from pipelines.standard import Field, Standard
from pipelines.validation.privacy import CANDIDATE, district_codes, scan

VERSION = "1.0.0"
MISSING_VALUES = ["", "-"]
# A text column with at most this many distinct values, each repeated on average, becomes a code list.
MAX_CODES = 30
MAX_CODE_LENGTH = 60
MAX_KEY_FIELDS = 4
# Units as agencies write them in headers -> (suffix of the field name, unit as the standard names it).
# Rupiah adds no suffix: `Harga (Rp)` is `harga`, as in harga-pasar; `Berat (kg)` is `berat_kg`.
UNITS = {
    "rp": ("", "Rupiah"),
    "rupiah": ("", "Rupiah"),
    "ribu rp": ("ribu_rp", "ribu Rupiah"),
    "rp ribu": ("ribu_rp", "ribu Rupiah"),
    "juta rp": ("juta_rp", "juta Rupiah"),
    "rp juta": ("juta_rp", "juta Rupiah"),
    "kg": ("kg", "kilogram"),
    "gram": ("gram", "gram"),
    "gr": ("gram", "gram"),
    "ton": ("ton", "ton"),
    "kuintal": ("kuintal", "kuintal"),
    "kw": ("kuintal", "kuintal"),
    "liter": ("liter", "liter"),
    "ltr": ("liter", "liter"),
    "l": ("liter", "liter"),
    "m": ("m", "meter"),
    "cm": ("cm", "sentimeter"),
    "mm": ("mm", "milimeter"),
    "km": ("km", "kilometer"),
    "m2": ("m2", "meter persegi"),
    "m²": ("m2", "meter persegi"),
    "km2": ("km2", "kilometer persegi"),
    "km²": ("km2", "kilometer persegi"),
    "ha": ("ha", "hektare"),
    "m3": ("m3", "meter kubik"),
    "m³": ("m3", "meter kubik"),
    "%": ("persen", "persen"),
    "persen": ("persen", "persen"),
    "mbps": ("mbps", "Mbps"),
    "jiwa": ("jiwa", "jiwa"),
    "orang": ("orang", "orang"),
    "kk": ("kk", "kepala keluarga"),
    "unit": ("unit", "unit"),
    "buah": ("buah", "buah"),
    "ekor": ("ekor", "ekor"),
    "hari": ("hari", "hari"),
    "jam": ("jam", "jam"),
    "menit": ("menit", "menit"),
    "°c": ("celsius", "derajat Celsius"),
}
_UNIT_IN_HEADER = re.compile(r"^(?P<label>.*?)\s*[(\[]\s*(?P<unit>[^)\]]+?)\s*[)\]]\s*$")
_CURRENCY_VALUE = re.compile(r"(?i)^\s*rp\.?\s*\d")
# Kemendagri notation per level; undotted codes are recognised too, but the standard's code lists are dotted.
REGION_LEVELS = {
    "provinsi": r"\d{2}",
    "kabupaten": r"\d{2}\.\d{2}",
    "kecamatan": r"\d{2}\.\d{2}\.\d{2}",
    "desa": r"\d{2}\.\d{2}\.\d{2}\.\d{4}",
}
REGION_DIGITS = {"provinsi": 2, "kabupaten": 4, "kecamatan": 6, "desa": 10}
# Share of a column's distinct codes that may be missing from the current edition (retired, mistyped) and it
# still counts as a region-code column; the draft then names them and checks the pattern only.
REGION_TOLERANCE = 0.1
PRESENTATION = {"provinsi": "Provinsi", "kabupaten": "Kabupaten", "kecamatan": "Kecamatan", "desa": "Desa/Kelurahan"}
# Undotted codes are digits any count or year could be (2021 is also Kemendagri 21.01): the header must say code.
_REGION_HEADER = re.compile(r"kode|kd|id|wilayah|dagri|bps|prov|kab|kota|kec|desa|kel")
_CODE_NAME = re.compile(r"^(kode|kd|id|no|nomor|nip|nik)(_|$)|_(kode|id)$")
_ROW_NUMBER_NAMES = {"no", "no_urut", "nomor", "nomor_urut", "nourut"}
_PERSONAL_NAME = re.compile(
    r"(^|_)(nik|no_kk|nomor_kk|telepon|telp|no_hp|nomor_hp|hp|ponsel|whatsapp|wa|email|"
    r"e_mail|surel|nama_pelapor|nama_korban|nama_pasien)(_|$)"
)
# The frequency a date column's typical gap (days) suggests.
FREQUENCIES = (
    (1, "Harian"),
    (8, "Mingguan"),
    (31, "Bulanan"),
    (92, "Triwulanan"),
    (184, "Semesteran"),
    (366, "Tahunan"),
)
GRACE_HOURS = {"Harian": 6}  # else 240, as in the catalogue: periodic recaps arrive within ten days


class DescribeError(ValueError):
    """A sample that cannot be described, or drafts that cannot be written; the message is for the walidata."""


@dataclass
class Column:
    """What the samples say about one column."""

    label: str  # the header as the agency wrote it
    name: str  # the field name in snake_case
    type: str = "string"
    unit: str | None = None
    region: dict | None = None  # {"level", "system": kemendagri|bps, "dotted", "unknown": codes not in the table}
    enum: list[str] | None = None
    required: bool = False
    minimum: int | None = None
    pattern: str | None = None
    personal: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Draft:
    name: str
    samples: list[str]  # the sample files' names
    standard: dict  # the schema document, as schemas/<name>/<version>.yaml holds it
    entry: dict  # the catalogue entry (one item of a regency file's `datasets:`)
    notes: list[str]  # what the walidata should look at first


# --- reading the samples with the pipeline's parser --------------------------------------------------------

HEADER_SCAN_ROWS = 20  # the header is looked for among the first rows, as the parser does


def snake_case(label: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", label).encode("ascii", "ignore").decode()
    name = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or "kolom"
    return f"kolom_{name}" if name[0].isdigit() else name


def _normal(text: object) -> str:
    return re.sub(r"\s+", " ", str(text)).strip().lower()


def _labels(rows: pd.DataFrame) -> set[str]:
    """The cells (normalised) that could be column labels: text the pipeline reads neither as a number nor
    as a date."""
    text = pd.Series(rows.to_numpy().ravel(), dtype="str").str.strip().drop_duplicates()
    label = (text != "") & parsing.parse_numbers(text, integer=False).isna() & parsing.parse_dates(text).isna()
    return {_normal(c) for c in text[label.to_numpy()]}


def _csv_candidates(raw: RawFile) -> set[str]:
    """Label-like cells of a CSV's first lines split by every delimiter the parser knows, so that the parser's
    own choice (the delimiter that splits the header into the most known labels) can be made."""
    with open(raw.path, encoding=parsing.file_encoding(raw), newline="") as handle:
        lines = handle.read(1 << 16).splitlines()[:HEADER_SCAN_ROWS]
    found: set[str] = set()
    for delimiter in parsing.DELIMITERS:
        found |= _labels(pd.DataFrame(list(csv.reader(lines, delimiter=delimiter)), dtype="str").fillna(""))
    return found


def _header(raw: RawFile) -> list[str]:
    """The column labels of one sample: of the parser's tables (the CSV's head, each sheet, the JSON
    records), the row with the most labels among the first rows. Below a header merged over two rows, each
    column keeps its lowest label, which the parser matches again as a part of the merged header."""
    try:
        kind = parsing.file_kind(raw)
        tables, _ = parsing.read_tables(raw, kind, _csv_candidates(raw) if kind == "csv" else set(), None)
    except parsing.Refused as refused:
        raise DescribeError(str(refused.issue)) from None
    best: tuple[int, list[str]] = (0, [])
    for table in tables:
        head = table.cells.iloc[:HEADER_SCAN_ROWS]
        labels = _labels(head)
        for row in head.itertuples(index=False):
            found = [str(v).strip() if _normal(v) in labels else "" for v in row]
            if sum(map(bool, found)) > best[0]:
                best = (sum(map(bool, found)), found)
    if not best[0]:
        raise DescribeError(f"{raw.name}: tidak ada baris judul kolom / no header row found")
    return [label for label in best[1] if label]


def _columns(raws: list[RawFile], notes: list[str]) -> list[Column]:
    """The columns every sample has (the pipeline needs each field in every file), named in snake_case with
    the unit a header states moved into the field's unit."""
    headers = [_header(raw) for raw in raws]
    common = [
        label
        for label in dict.fromkeys(headers[0])
        if all(_normal(label) in {_normal(x) for x in h} for h in headers[1:])
    ]
    partial = sorted({label for h in headers for label in h} - set(common), key=str.lower)
    if partial:
        notes.append(
            f"kolom yang tidak ada di setiap contoh tidak dimasukkan / columns missing from some samples "
            f"were left out: {partial}"
        )
    columns, taken = [], set()
    for label in common:
        stem, unit = _split_unit(label)
        name = snake_case(stem) + (f"_{unit[0]}" if unit and unit[0] else "")
        if name in taken:
            notes.append(f"kolom {label!r}: nama ganda, dilewati / duplicate name, left out")
            continue
        taken.add(name)
        columns.append(Column(label, name, unit=unit[1] if unit else None))
    return columns


def _split_unit(label: str) -> tuple[str, tuple[str, str] | None]:
    """`Harga (Rp)` -> (`Harga`, ("", "Rupiah")); `Harga (Rp/kg)` -> Rupiah/kilogram; unknown words in
    brackets (`Kode Kecamatan (Kemendagri)`) are part of the label."""
    found = _UNIT_IN_HEADER.match(label)
    if not found:
        return label, None
    parts = [UNITS.get(p.strip().rstrip(".").lower()) for p in found["unit"].split("/")]
    if not all(parts):
        return label, None
    return found["label"], (parts[0][0], "/".join(p[1] for p in parts))


def _parse(raws: list[RawFile], columns: list[Column], folder: Path) -> parsing.Batch:
    """The samples read by the pipeline's parser with the draft's fields (no constraints yet): title rows,
    notes, signatures and totals are left out, and each value is read as its field's type, as in the
    pipeline."""
    fields = tuple(Field(c.name, c.type, c.label, metadata={"satuan": c.unit} if c.unit else {}) for c in columns)
    standard = Standard("draf", VERSION, "draf", "", fields, (), tuple(MISSING_VALUES), {})
    return parsing.parse_files(raws, standard, {c.label: c.name for c in columns}, folder=folder)


def _read(raws: list[RawFile], columns: list[Column], folder: Path) -> pd.DataFrame:
    """Every data row of the samples in the draft's types. A column whose values the parser refuses in the
    type proposed (an ambiguous `15,500`) is read again as text, so the draft accepts its sample."""
    for _ in range(len(columns) + 1):
        batch = _parse(raws, columns, folder)
        refused = {i.column for i in batch.issues if i.column}
        retyped = [c for c in columns if c.name in refused and c.type != "string"]
        if not retyped:
            break
        for c in retyped:
            c.notes.append(
                f"dibaca sebagai teks: sebagian nilai tidak terbaca sebagai {c.type} / read as text: "
                f"some values do not read as {c.type}"
            )
            c.type = "string"
    if batch.issues:
        raise DescribeError(
            "contoh tidak dapat dibaca / the samples cannot be read:\n" + "\n".join(f"- {i}" for i in batch.issues[:20])
        )
    if not batch.rows:
        raise DescribeError("contoh tidak berisi baris data / the samples hold no data rows")
    return batch.frame


# --- what each column holds --------------------------------------------------------------------------------


def _is_money(values: pd.Series, column: Column) -> bool:
    return column.unit == "Rupiah" or bool(values.str.match(_CURRENCY_VALUE).any())


def _type(values: pd.Series, name: str, money: bool) -> str:
    """The first type the pipeline's readers take every value as. Codes stay text: names such as `kode_*` or
    `id`, values with a leading zero (`0029`) and digit strings of 10 or more (NIK, long identifiers)."""
    code_like = values.str.fullmatch(r"0\d+|\d{10,}").any() or (
        _CODE_NAME.search(name) and name not in _ROW_NUMBER_NAMES
    )
    if not code_like:
        for ftype in ("integer", "number"):
            if parsing.parse_numbers(values, integer=ftype == "integer", money=money).notna().all():
                return ftype
    dates = parsing.parse_dates(values)
    if dates.notna().all() and not values.str.fullmatch(r"\d+(\.\d+)?").any():  # not Excel serials alone
        return "date" if (dates == dates.dt.normalize()).all() else "datetime"
    if values.str.strip().str.lower().isin(("ya", "tidak", "true", "false")).all():
        return "boolean"
    return "string"


def region_codes(regions: pd.DataFrame) -> dict[str, set[str]]:
    """Each Kemendagri level's codes, dotted and undotted (`64.09.01`, `640901`)."""
    found = {}
    for level in REGION_LEVELS:
        codes = set(regions.loc[regions["level"] == level, "code"].tolist())
        found[level] = codes | {c.replace(".", "") for c in codes}
    return found


def _region(values: pd.Series, column: Column, codes: dict[str, set[str]]) -> dict | None:
    """A Kemendagri level whose codes (nearly) every value is, dotted (`64.09.01`) or undotted (`640901`), or
    BPS codes when the header says so (BPS and Kemendagri codes differ: BPS 6403 is Kutai Kartanegara,
    Kemendagri 64.03 Berau). `unknown` lists codes the current Kemendagri edition does not hold."""
    header = _normal(column.label)
    for level, pattern in REGION_LEVELS.items():
        if level == "provinsi" and "prov" not in header:
            continue  # two digits alone are too common to be taken for a province without the header saying so
        dotted = values.str.fullmatch(pattern).all()
        undotted = (
            not dotted
            and bool(_REGION_HEADER.search(header))
            and values.str.fullmatch(r"\d{%d}" % REGION_DIGITS[level]).all()
        )
        if not (dotted or undotted):
            continue
        system = "bps" if "bps" in header else "kemendagri"
        unknown = [] if system == "bps" else sorted(set(values) - codes[level])
        if len(unknown) <= len(set(values)) * REGION_TOLERANCE:
            return {"level": level, "system": system, "dotted": bool(dotted), "unknown": unknown}
    if "bps" in header and values.str.fullmatch(r"\d{2}|\d{4}|\d{7}|\d{10}").all():
        level = {2: "provinsi", 4: "kabupaten", 7: "kecamatan", 10: "desa"}[int(values.str.len().max())]
        return {"level": level, "system": "bps", "dotted": False, "unknown": []}
    return None


def _plain_name(name: str) -> str:
    """A region's name without its kind and punctuation: `KAB. PASER`, `Kabupaten Paser` -> `paser`."""
    name = re.sub(r"^(kabupaten|kab\.?|kota|kecamatan|kec\.?|desa|kelurahan|kel\.?)\s+", "", name.strip().lower())
    return re.sub(r"[^a-z0-9]", "", name)


def region_names(regions: pd.DataFrame) -> dict[str, set[str]]:
    """Each Kemendagri level's names, plain (see `_plain_name`)."""
    return {
        level: {_plain_name(n) for n in regions.loc[regions["level"] == level, "name"].tolist()}
        for level in ("kabupaten", "kecamatan", "desa")
    }


def _name_note(column: Column, text: pd.Series, names: dict[str, set[str]]) -> None:
    """A text column of region names (nearly all a Kemendagri level's, of a level no column codes): the
    standard wants the codes beside them."""
    if column.type != "string" or column.region:
        return
    distinct = {_plain_name(v) for v in text.dropna().astype("str").unique()}
    for level, known in names.items():
        if len(distinct) > 1 and len(distinct - known) <= len(distinct) * REGION_TOLERANCE:
            column.notes.append(
                f"nama {level} (Kemendagri); tambahkan kolom kode {level} Kemendagri / {level} "
                f"names: add the Kemendagri {level} code beside them"
            )
            return


def _code_pattern(values: pd.Series) -> str | None:
    """A character class and length range that every value of a code column matches (`PNJ-01` ->
    `^[A-Z0-9-]{6,6}$`), a proposal the walidata can tighten; None for codes beyond plain ASCII."""
    chars = set("".join(values))
    if not all(c.isascii() and c.isprintable() for c in chars):
        return None
    classes = "".join(
        cls
        for cls, test in (("A-Z", str.isupper), ("a-z", str.islower), ("0-9", str.isdigit))
        if any(test(c) for c in chars)
    )
    others = sorted(c for c in chars if not c.isalnum())
    # escaped only where a class needs it; `-` last, where it means itself (RE2 and Python read it alike)
    punctuation = "".join("\\" + c if c in "\\[]^" else c for c in others if c != "-")
    punctuation += "-" if "-" in others else ""
    lengths = values.str.len()
    return f"^[{classes}{punctuation}]{{{lengths.min()},{lengths.max()}}}$"


def _spellings(values: list[str]) -> list[list[str]]:
    """Codes that differ only in case, spaces or punctuation (`Rp./Kg`, `Rp/kg`): likely one value."""
    groups: dict[str, list[str]] = {}
    for value in values:
        groups.setdefault(re.sub(r"[^a-z0-9]", "", value.lower()), []).append(value)
    return [sorted(g) for g in groups.values() if len(g) > 1]


def _propose(column: Column, text: pd.Series, codes: dict[str, set[str]]) -> None:
    """Region code, unit and type of a column, from its values as text."""
    present = text.dropna().astype("str").str.strip()
    if present.empty:
        return
    column.region = _region(present, column, codes)
    if column.region:
        return
    money = _is_money(present, column)
    column.type = _type(present, column.name, money)
    if money and column.type in ("integer", "number"):
        column.unit = "Rupiah"


def _constrain(column: Column, typed: pd.Series) -> None:
    """Required, range, code list or pattern, from the typed values of every sample."""
    present = typed.dropna()
    column.required = bool(len(present)) and len(present) == len(typed)
    if present.empty:
        return
    if column.region:
        _region_constraints(column)
    elif column.type in ("integer", "number"):
        column.minimum = 0 if (present >= 0).all() else None
    elif column.type == "string":
        present = present.astype("str")
        distinct = sorted(present.unique())
        if _CODE_NAME.search(column.name) and column.name not in _ROW_NUMBER_NAMES:
            column.pattern = _code_pattern(present)
        elif (
            len(distinct) <= MAX_CODES
            and 2 * len(distinct) <= len(present)
            and present.str.len().max() <= MAX_CODE_LENGTH
        ):
            column.enum = distinct
            column.notes += [
                f"ejaan berbeda untuk nilai yang mungkin sama / spellings that may be one value: {g}"
                for g in _spellings(distinct)
            ]


def _region_constraints(column: Column) -> None:
    level, system, dotted = column.region["level"], column.region["system"], column.region["dotted"]
    column.pattern = f"^{REGION_LEVELS[level]}$" if dotted else f"^\\d{{{REGION_DIGITS[level]}}}$"
    if column.region["unknown"]:
        column.notes.append(
            f"kode yang tidak ada di tabel Kemendagri 2025 (hanya pola yang diperiksa) / codes not in "
            f"the 2025 Kemendagri table (only the pattern is checked): {column.region['unknown'][:10]}"
        )
    if system == "bps":
        column.notes.append(
            "kode BPS, bukan Kemendagri (BPS 6403 = Kutai Kartanegara, Kemendagri 64.03 = Berau): "
            "minta OPD memakai kode Kemendagri / BPS codes, not Kemendagri: ask the agency for "
            "Kemendagri codes"
        )
    elif not dotted:
        column.notes.append(
            "kode Kemendagri tanpa titik (atau kode BPS?); standar Satu Data memakai titik "
            "(64.09.01) / undotted Kemendagri codes (or BPS codes?); the Satu Data standard uses "
            "dots (64.09.01)"
        )


def _label_columns(typed: pd.DataFrame, columns: list[Column]) -> None:
    """A code list on a column that only names another column's codes (`Nama Pasar` beside `Kode Pasar`) would
    refuse every new market: such a column gets none."""
    codes = [c.name for c in columns if c.pattern]
    for c in columns:
        if c.enum and any(
            typed[[code, c.name]].drop_duplicates()[code].is_unique
            and typed[[code, c.name]].drop_duplicates()[c.name].is_unique
            for code in codes
        ):
            c.enum = None
            c.notes = [n for n in c.notes if not n.startswith("ejaan")]


def _personal(text: pd.DataFrame, columns: list[Column], regions: pd.DataFrame) -> set[str]:
    """Columns the pipeline's personal-data guard flags (NIK/KK, phone numbers, e-mail), or whose header names
    personal data: the standard marks them personal, so they are kept and never published. Only columns with
    a value the guard's own loose pattern picks are scanned (a wide sheet has dozens of columns)."""
    suspects = [c for c in columns if text[c.name].dropna().astype("str").str.contains(CANDIDATE).any()]
    as_text = Standard(
        "draf",
        VERSION,
        "draf",
        "",
        tuple(Field(c.name, "string", c.label) for c in suspects),
        (),
        tuple(MISSING_VALUES),
        {},
    )
    found = {i.column for i in scan(text, as_text, district_codes(regions))} if suspects else set()
    return found | {c.name for c in columns if _PERSONAL_NAME.search(c.name)}


# --- the standard as a whole ------------------------------------------------------------------------------


def _primary_key(typed: pd.DataFrame, columns: list[Column]) -> list[str]:
    """The fewest columns, in order of preference (dates, region codes, codes, code lists, other text), that
    are filled in and unique together in every row of the samples. A time series' key holds its first date:
    a sample of one month cannot show which columns stay unique across months. Numbers are measurements and
    row numbers (`No`) are not the data's identity, so neither is proposed."""

    def rank(c: Column) -> int:
        if c.type in ("date", "datetime"):
            return 0
        if c.region:
            return 1
        if c.pattern:
            return 2
        return 3 if c.enum else 4

    candidates = [
        c.name
        for c in sorted(columns, key=rank)
        if c.required
        and not c.personal
        and c.type not in ("number", "boolean")
        and c.name not in _ROW_NUMBER_NAMES
        and (c.type != "integer" or c.name in ("tahun", "bulan"))
    ]
    dates = [c.name for c in columns if c.name in candidates and c.type in ("date", "datetime")]
    lead, rest = (dates[:1], [n for n in candidates if n != dates[0]]) if dates else ([], candidates)
    for size in range(0 if lead else 1, MAX_KEY_FIELDS + 1 - len(lead)):
        for others in combinations(rest[:8], size):
            key = lead + list(others)
            if not typed.duplicated(key).any():
                return key
    return []


def _frequency(typed: pd.DataFrame, columns: list[Column], key: list[str]) -> str:
    """From the typical gap between the dates of the period field (the first date of the key, else the first
    date), or `tahun` / `bulan` columns."""
    dates = [c.name for c in columns if c.type in ("date", "datetime")]
    period = next((k for k in key if k in dates), dates[0] if dates else None)
    names = {c.name for c in columns}
    if period is None:
        return "Bulanan" if {"tahun", "bulan"} <= names else "Tahunan" if "tahun" in names else "Ad-hoc"
    days = pd.Series(sorted(typed[period].dropna().dt.normalize().unique()))
    if len(days) < 2:  # one day: a monthly recap dated on the first, else nothing to tell by
        return "Bulanan" if len(days) and days[0].day == 1 else "Ad-hoc"
    gap = days.diff().dt.days.median()
    return next((name for limit, name in FREQUENCIES if gap <= limit), "Ad-hoc")


def _field_doc(c: Column) -> dict:
    doc = {"name": c.name, "type": c.type, "title": c.label}
    constraints = {"required": True} if c.required else {}
    if c.enum:
        constraints["enum"] = c.enum
    if c.pattern:
        constraints["pattern"] = c.pattern
    if c.minimum is not None:
        constraints["minimum"] = c.minimum
    if constraints:
        doc["constraints"] = constraints
    meta = {}
    if c.region and c.region["system"] == "kemendagri" and c.region["dotted"] and not c.region["unknown"]:
        meta["code_list"] = f"kemendagri-{c.region['level']}"
    if c.region:
        meta |= {
            "konsep": "Wilayah",
            "definisi": f"Kode {c.region['level']} "
            + ("menurut Kepmendagri 300.2.2-2430/2025" if c.region["system"] == "kemendagri" else "BPS"),
        }
    if c.unit:
        meta["satuan"] = c.unit
    if c.personal:
        meta["personal"] = True
    if meta:
        doc["satudata"] = meta
    return doc


def describe(paths: list[Path], name: str, regions: pd.DataFrame) -> Draft:
    """Draft the standard `name/1.0.0` and its catalogue entry from sample files; `regions` is the Kemendagri
    table that region-code columns are recognised by."""
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise DescribeError(
            f"nama {name!r} harus huruf kecil, angka dan '-' (mis. harga-pangan) / the name must be "
            f"lower case letters, digits and '-' (e.g. harga-pangan)"
        )
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise DescribeError(f"berkas tidak ada / no such file: {', '.join(missing)}")
    raws = [_local_raw(Path(p)) for p in paths]
    notes: list[str] = []
    columns = _columns(raws, notes)
    typed = _learn(raws, columns, regions)
    key = _primary_key(typed, columns)
    if not key:
        notes.append(
            "tidak ada kolom yang bersama-sama unik; tentukan primaryKey / no columns are unique together: "
            "set primaryKey"
        )
    for c in columns:
        notes += [f"{c.name}: {n}" for n in c.notes]
        if c.personal:
            notes.append(f"{c.name}: data pribadi, tidak akan diterbitkan / personal data, never published")
    standard = _standard_doc(name, raws, columns, key, typed)
    entry = {
        "name": name,
        "schema": f"{name}/{VERSION}",
        "agency": "opd-pengirim",
        "source": {
            "kind": "file_drop",
            "path": f"drops/<kabupaten>/{name}",
            "patterns": sorted({f"*{Path(r.name).suffix.lower()}" for r in raws}),
        },
        "grace_hours": GRACE_HOURS.get(standard["satudata"]["frekuensi"], 240),
        "columns": {c.label: c.name for c in columns},
    }
    return Draft(name, [r.name for r in raws], standard, entry, notes)


def _learn(raws: list[RawFile], columns: list[Column], regions: pd.DataFrame) -> pd.DataFrame:
    """Everything about the columns the samples show (types, units, region codes, constraints, personal
    data, region names); returns the samples' rows in the types proposed."""
    with tempfile.TemporaryDirectory() as folder:
        text = _read(raws, columns, Path(folder))  # every column as text
        codes = region_codes(regions)
        for c in columns:
            _propose(c, text[c.name], codes)
        typed = _read(raws, columns, Path(folder))  # as the pipeline reads the proposed types
    for c in columns:
        _constrain(c, typed[c.name])
    _label_columns(typed, columns)
    personal = _personal(text, columns, regions)
    coded = {c.region["level"] for c in columns if c.region}
    names = {level: known for level, known in region_names(regions).items() if level not in coded}
    for c in columns:
        c.personal = c.name in personal
        c.enum = None if c.personal else c.enum  # a code list would print the personal values in the standard
        _name_note(c, text[c.name], names)
    return typed


def _standard_doc(name: str, raws: list[RawFile], columns: list[Column], key: list[str], typed: pd.DataFrame) -> dict:
    """The schema document, as schemas/<name>/<version>.yaml holds it."""
    levels = [c.region["level"] for c in columns if c.region]
    level = max(levels, key=list(REGION_LEVELS).index) if levels else "kabupaten"
    units = list(dict.fromkeys(c.unit for c in columns if c.unit))
    files = ", ".join(r.name for r in raws)
    return {
        "name": name,
        "version": VERSION,
        "title": name.replace("-", " ").title(),
        "description": f"Draf dari berkas contoh {files} ({len(typed)} baris), {date.today().isoformat()}. "
        f"Drafted from sample files {files} ({len(typed)} rows): review before use.",
        "satudata": {
            "sektor": "",
            "pilar": "",
            "frekuensi": _frequency(typed, columns, key),
            "tingkat_penyajian": PRESENTATION[level],
            "klasifikasi": "Terbuka",
            "lisensi": "cc-by",
            "satuan": ", ".join(units),
            "tags": [],
        },
        "schema": {"missingValues": MISSING_VALUES, "primaryKey": key, "fields": [_field_doc(c) for c in columns]},
    }


def _local_raw(path: Path) -> RawFile:
    """A sample file read where it lies (the parser takes raw-archive records)."""
    stat = path.stat()
    return RawFile(path.name, "", stat.st_size, str(path), str(path), "")


# --- the files the walidata reviews -----------------------------------------------------------------------

_STANDARD_HEAD = """\
# DRAF standar Satu Data dari `satudata describe` ({files}): tinjau sebelum dipakai.
# DRAFT Satu Data standard from `satudata describe` ({files}): review before use.
# Isi / fill in: satudata.sektor, satudata.pilar (governance, society, branding, environment, economy, living),
# tags, and each field's konsep / definisi (BPS MS-Var). Tinjau / review:
{notes}
"""
_ENTRY_HEAD = """\
# DRAF entri katalog untuk standar {ref}: salin butir di bawah `datasets:` ke catalogue/<kabupaten>.yaml,
# ganti `agency` dengan slug OPD pengirim dan `source` dengan tempat OPD mengirim berkasnya.
# DRAFT catalogue entry for standard {ref}: copy the item under `datasets:` into catalogue/<regency>.yaml,
# replace `agency` with the sending agency's slug and `source` with where the agency delivers its files.
# `columns` maps the agency's headers to the standard's fields.
"""


def write(draft: Draft, out: Path, live_catalogue: Path) -> tuple[Path, Path]:
    """`out/schemas/<name>/1.0.0.yaml` and `out/catalogue/<name>.yaml`. Never over an existing file (a
    reviewed draft is the walidata's work), and never into the live catalogue folder, where every YAML file
    is read as a regency's."""
    schema_path = out / "schemas" / draft.name / f"{VERSION}.yaml"
    entry_path = out / "catalogue" / f"{draft.name}.yaml"
    if entry_path.parent.resolve() == live_catalogue.resolve():
        raise DescribeError(
            f"{entry_path.parent} adalah katalog yang dipakai pipeline; tulis draf ke folder lain / "
            f"is the pipeline's live catalogue; write the drafts to another folder"
        )
    existing = [str(p) for p in (schema_path, entry_path) if p.exists()]
    if existing:
        raise DescribeError(f"sudah ada, tidak ditimpa / already exists, not overwritten: {', '.join(existing)}")
    files = ", ".join(draft.samples)
    notes = "\n".join(f"# - {n}" for n in draft.notes) or "#   (tidak ada catatan / no notes)"
    for path, head, doc in (
        (schema_path, _STANDARD_HEAD.format(files=files, notes=notes), draft.standard),
        (entry_path, _ENTRY_HEAD.format(ref=draft.entry["schema"]), {"datasets": [draft.entry]}),
    ):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(head + yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, width=110), encoding="utf-8")
    return schema_path, entry_path
