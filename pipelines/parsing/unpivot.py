"""Indicator sheets as OPD send them, made into the rows of the indicator standard (schemas/indikator).

Most are wide: the years (`2021 2022 2023`) or the districts (`Penajam  Waru  Babulu  Sepaku`) stand as columns.
The catalogue says which (`source: unpivot: {columns: years}`), and every cell under such a column becomes one
row. Each column is typed by the parser as a slice of its own, so every finding keeps the agency's row and names
the agency's column (`2022`, `Waru`). District names, in a column or as headers, are matched with the regency's
Kemendagri districts, ignoring case, spacing and the `Kecamatan` prefix; a name that matches none is the finding
`unknown-district`. What a sheet does not carry (indicator, unit, source) comes from its `Sumber:` note or the
dataset's `indikator:` block (pipelines/indicators.py)."""

import re
from collections.abc import Callable
from dataclasses import dataclass, replace

import pandas as pd

from pipelines.findings import finding
from pipelines.issues import Issue
from pipelines.raw import RawFile
from pipelines.standard import Standard
from pipelines.standard.period import period_of
from pipelines.standard.reference import codes_within

# Columns of a district-wide sheet that are not districts: the row number, a total, a remark.
_NOT_A_DISTRICT = re.compile(r"^(no\.?|nomor|jumlah|total|rata-?rata|keterangan|ket\.?)$")
_SOURCE_NOTE = re.compile(r"^sumber(\s+data)?\s*[:=]?\s*(?P<text>\S.*)$", re.IGNORECASE)
_UNLABELLED = "kolom "  # the parser's label of a column without a header (parsing/layout.py: `layout_of`)

TypeSlice = Callable[[pd.DataFrame], tuple[pd.DataFrame, list[Issue]]]


def district_key(name: object) -> str:
    """`Kecamatan Penajam`, `KEC. PENAJAM`, ` Pena jam ` -> `penajam`."""
    text = re.sub(r"[\s\-]+", "", str(name).lower())
    return re.sub(r"^(kecamatan|kec\.)", "", text)


def districts(regions: pd.DataFrame, regency_code: str) -> pd.DataFrame:
    """The regency's Kemendagri districts (code, name), for matching the names a sheet writes."""
    inside = set(codes_within(regions, "kemendagri-kecamatan", regency_code))
    found = regions[(regions["level"] == "kecamatan") & regions["code"].isin(inside)]
    return found[["code", "name"]].reset_index(drop=True)


@dataclass(frozen=True)
class Shape:
    """How one dataset's sheets become indicator rows."""

    columns: str | None  # "years", "districts", or None: a long sheet
    fills: dict[str, str]  # field -> the catalogue's value, where the sheet has no column
    known: dict[str, tuple[str, str]]  # district_key -> (Kemendagri code, name)

    def _wide(self, names: list[str | None], labels: list[str]) -> list[int]:
        """Positions of the year or district columns: labelled columns the mapping does not name."""
        free = [
            c
            for c, (name, label) in enumerate(zip(names, labels))
            if name is None and not label.startswith(_UNLABELLED)
        ]
        if self.columns == "years":
            return [c for c in free if period_of(labels[c])]
        return [c for c in free if not _NOT_A_DISTRICT.match(labels[c].strip().lower()) and not period_of(labels[c])]

    def provided(self, names: list[str | None], raw: RawFile) -> list[str]:
        """The fields this shape fills in, so they are not reported missing (`sumber` may come from the
        table's note, below the header; without any, each row's is missing)."""
        found = [*self.fills, "sumber"]
        if self.columns == "years":
            found += ["periode", "nilai"]
        elif self.columns == "districts":
            found += ["kode_wilayah", "nama_wilayah", "nilai"] + (["periode"] if period_of(raw.name) else [])
        if "nama_wilayah" in names:
            found.append("kode_wilayah")
        return found

    def header_issues(
        self, names: list[str | None], labels: list[str], raw: RawFile, header_row: int | None
    ) -> list[Issue]:
        """A wide sheet without year or district columns, and each district column whose name is unknown."""
        wide = self._wide(names, labels)
        if self.columns and not wide:
            return [finding("missing-column", raw.name, header_row, "nilai")]
        if self.columns != "districts":
            return []
        return [
            _unknown(raw, header_row, labels[c], labels[c], list(self.known.values()))
            for c in wide
            if district_key(labels[c]) not in self.known
        ]

    def typed(
        self,
        chunk: pd.DataFrame,
        rows: pd.DataFrame,
        names: list[str | None],
        labels: list[str],
        raw: RawFile,
        type_slice: TypeSlice,
    ) -> tuple[pd.DataFrame, list[Issue]]:
        """The data rows of a chunk (`rows`; `chunk` also holds its notes) as typed indicator rows: one slice
        per year or district column, each typed by the parser (`type_slice`), index = the agency's row."""
        texts = {}
        for position, name in enumerate(names):
            if name and name not in texts:
                texts[name] = rows.iloc[:, position].astype("str")
        issues: list[Issue] = []
        if "nama_wilayah" in texts and "kode_wilayah" not in texts:
            column = labels[names.index("nama_wilayah")]
            texts, issues = self._codes_by_name(texts, raw, column)
        constants = {field: value for field, value in self.fills.items() if field not in texts}
        if "sumber" not in texts and (note := _source_note(chunk)):
            constants["sumber"] = note
        index = next(iter(texts.values())).index if texts else rows.index
        slices = [({}, None)] if self.columns is None else []
        for position in self._wide(names, labels):
            label = labels[position]
            if self.columns == "years":
                slices.append(({"periode": period_of(label).label}, position))
                continue
            district = self.known.get(district_key(label))
            if district is None:  # named once, with the header (header_issues)
                continue
            extra = {"kode_wilayah": district[0], "nama_wilayah": district[1]}
            if "periode" not in texts and (period := period_of(raw.name)):
                extra["periode"] = period.label
            slices.append((extra, position))
        frames = []
        for extra, position in slices:
            body = pd.DataFrame(texts, index=index)
            for field, value in (constants | extra).items():
                body[field] = value
            if position is not None:
                body["nilai"] = rows.iloc[:, position].loc[index].astype("str")
            frame, found = type_slice(body)
            frames.append(frame)
            issues += [
                replace(i, column=labels[position]) if position is not None and i.column == "nilai" else i
                for i in found
            ]
        issues.sort(key=lambda i: i.row or 0)
        if not frames:  # a wide sheet without year or district columns (header_issues names it)
            frames = [type_slice(pd.DataFrame(index=index[:0]))[0]]
        return pd.concat(frames, ignore_index=True), issues

    def _codes_by_name(
        self, texts: dict[str, pd.Series], raw: RawFile, column: str
    ) -> tuple[dict[str, pd.Series], list[Issue]]:
        """Each row's district code from its name; a row whose name is unknown is a finding and is left out
        (an empty name stays, for the standard's required-value check)."""
        names = texts["nama_wilayah"]
        found = names.map(lambda n: self.known.get(district_key(n)))
        unknown = found.isna() & (names.str.strip() != "")
        issues = [_unknown(raw, int(i) + 1, column, names[i], list(self.known.values())) for i in names.index[unknown]]
        kept = {field: values[~unknown] for field, values in texts.items()}
        matched = found[~unknown]
        kept["kode_wilayah"] = matched.map(lambda d: d[0] if isinstance(d, tuple) else "").astype("str")
        kept["nama_wilayah"] = (
            matched.map(lambda d: d[1] if isinstance(d, tuple) else None).fillna(kept["nama_wilayah"]).astype("str")
        )  # the Kemendagri spelling
        return kept, issues


def _unknown(raw: RawFile, row: int | None, column: str, name: str, known: list[tuple[str, str]]) -> Issue:
    return finding("unknown-district", raw.name, row, column, name, districts=", ".join(n for _, n in known) or "-")


def _source_note(chunk: pd.DataFrame) -> str:
    """The text of the table's `Sumber:` note, if any."""
    for cells in chunk.to_numpy():
        filled = [str(c).strip() for c in cells if str(c).strip()]
        if filled and (match := _SOURCE_NOTE.match(filled[0])):
            return match["text"].strip()
    return ""


def shape_of(standard: Standard, options: dict | None, district_table: pd.DataFrame | None) -> Shape | None:
    """The shape of a dataset's sheets: for an indicator (its standard carries the catalogue's `indikator:`
    block) or a wide delivery; None for every other dataset."""
    indicator = standard.metadata.get("indikator") or {}
    wide = (options or {}).get("unpivot")
    if not indicator and not wide:
        return None
    fills = {
        field: indicator.get(key)
        for field, key in (("indikator", "nama"), ("satuan", "satuan"), ("sumber", "sumber"))
        if indicator.get(key)
    }
    known = (
        {}
        if district_table is None
        else {district_key(name): (code, name) for code, name in zip(district_table["code"], district_table["name"])}
    )
    return Shape(wide["columns"] if wide else None, fills, known)
