"""The portal views a standard declares in `satudata.tampilan`: a chart of a time series (`grafik`) or a map of
points (`peta`), which the publishing step puts on every table it publishes, so no walidata builds one by hand.
Checked when the standard is loaded: every column named must be a published field of the right type.

    tampilan:
      - jenis: grafik                 # a line per series over time
        judul: Harga harian per komoditas / Daily price per commodity
        waktu: tanggal                # date or datetime field
        jam: jam                      # optional: an hour field (0-23) that goes with the date
        nilai: harga                  # numeric field
        seri: komoditas               # optional: one line per value of this field
        agregasi: rata-rata           # several rows at one time and series (markets): rata-rata or jumlah
      - jenis: peta                   # a marker per distinct point
        judul: Peta titik wifi / Map of wifi points
        lintang: lintang              # WGS84 decimal degrees
        bujur: bujur
        label: nama_lokasi            # optional: shown on the marker

The portal extension's view plugins (`satudata_chart`, `satudata_map`) read the config below from the view."""

from dataclasses import dataclass

AGGREGATES = {"rata-rata": "avg", "jumlah": "sum"}
NUMERIC = {"integer", "number"}
DATES = {"date", "datetime"}
# kind -> (view type on the portal, {key in the standard: (config key, required, allowed field types or None)})
KINDS = {
    "grafik": (
        "satudata_chart",
        {
            "waktu": ("time_column", True, DATES),
            "jam": ("hour_column", False, {"integer"}),
            "nilai": ("value_column", True, NUMERIC),
            "seri": ("series_column", False, None),
        },
    ),
    "peta": (
        "satudata_map",
        {
            "lintang": ("latitude_column", True, NUMERIC),
            "bujur": ("longitude_column", True, NUMERIC),
            "label": ("label_column", False, None),
        },
    ),
}


@dataclass(frozen=True)
class View:
    view_type: str
    title: str
    config: dict


def views(block, fields: dict[str, str]) -> tuple[View, ...]:
    """The views of a `tampilan` block (None: none); `fields`: name -> type of the standard's published fields.
    Raises ValueError naming what is wrong."""
    if block is None:
        return ()
    if not isinstance(block, list):
        raise ValueError("must be a list of views (each with jenis: grafik or peta)")
    return tuple(_view(entry, fields, number) for number, entry in enumerate(block, start=1))


def _view(entry, fields: dict[str, str], number: int) -> View:
    where = f"view {number}"
    if not isinstance(entry, dict) or entry.get("jenis") not in KINDS:
        raise ValueError(f"{where}: jenis must be one of {sorted(KINDS)}")
    view_type, columns = KINDS[entry["jenis"]]
    allowed = {"jenis", "judul", *columns, *(["agregasi"] if entry["jenis"] == "grafik" else [])}
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise ValueError(f"{where}: unknown keys {unknown} (allowed: {sorted(allowed)})")
    if not isinstance(entry.get("judul"), str) or not entry["judul"].strip():
        raise ValueError(f"{where}: judul (the title the public sees) is missing")
    config = {}
    for key, (config_key, required, types) in columns.items():
        name = entry.get(key)
        if name is None and not required:
            continue
        if name not in fields:
            raise ValueError(f"{where}: {key} {name!r} is not a published field of the standard")
        if types and fields[name] not in types:
            raise ValueError(f"{where}: {key} {name!r} is {fields[name]}; must be one of {sorted(types)}")
        config[config_key] = name
    if entry["jenis"] == "grafik":
        aggregate = entry.get("agregasi", "rata-rata")
        if aggregate not in AGGREGATES:
            raise ValueError(f"{where}: agregasi {aggregate!r}; allowed: {sorted(AGGREGATES)}")
        config["aggregate"] = AGGREGATES[aggregate]
    return View(view_type, entry["judul"].strip(), config)


def declared(standard) -> tuple[View, ...]:
    """The views a loaded `Standard` declares."""
    return views(standard.metadata.get("tampilan"), {f.name: f.type for f in standard.public_fields})
