"""Generated SIHARPA market-price data for the benchmarks: the typed table the parser hands to validation
and the warehouse, and the same rows as an agency would send them (Indonesian formats). Deterministic."""

import numpy as np
import pandas as pd

from pipelines.standard import Standard, load_standard

STANDARD_REF = "harga-pasar/1.0.0"
DISTRICTS = ["64.09.01", "64.09.02", "64.09.03", "64.09.04"]
CODE_LISTS = {"kemendagri-kecamatan": DISTRICTS}
MARKETS_PER_DAY = 250
FIRST_DAY = pd.Timestamp("2025-01-01")
SOURCE_FILE = "harga_pasar_bench.csv"


def standard() -> Standard:
    return load_standard(STANDARD_REF)


def market_prices(rows: int, seed: int = 7) -> pd.DataFrame:
    """`rows` valid rows with the parser's dtypes and lineage; the key (tanggal, kode_pasar, komoditas) is
    unique because each day carries every market x commodity once."""
    std = standard()
    commodities = np.array(next(f for f in std.fields if f.name == "komoditas").enum, dtype=object)
    units = np.array(["kg", "liter", "butir", "kaleng", "bungkus"], dtype=object)
    rng = np.random.default_rng(seed)
    i = np.arange(rows)
    per_day = MARKETS_PER_DAY * len(commodities)
    market = (i // len(commodities)) % MARKETS_PER_DAY
    commodity = i % len(commodities)
    market_codes = np.array([f"PSR-{m:03d}" for m in range(MARKETS_PER_DAY)], dtype=object)
    market_names = np.array([f"Pasar {m:03d}" for m in range(MARKETS_PER_DAY)], dtype=object)
    return pd.DataFrame(
        {
            "tanggal": (FIRST_DAY + pd.to_timedelta(i // per_day, unit="D")).astype("datetime64[us]"),
            "kode_kecamatan": pd.Series(np.array(DISTRICTS, dtype=object)[market % len(DISTRICTS)], dtype="str"),
            "kode_pasar": pd.Series(market_codes[market], dtype="str"),
            "nama_pasar": pd.Series(market_names[market], dtype="str"),
            "komoditas": pd.Series(commodities[commodity], dtype="str"),
            "satuan": pd.Series(units[commodity % len(units)], dtype="str"),
            "harga": pd.array(rng.integers(20, 3000, rows) * 50, dtype="Int64"),
            "_source_file": pd.Series([SOURCE_FILE] * rows, dtype="str"),
            "_source_sha256": pd.Series(["0" * 64] * rows, dtype="str"),
            "_source_row": i + 2,
        }
    )


def references() -> dict[str, pd.DataFrame]:
    """The Data Induk market list (the standard's foreign key) that the generated rows agree with."""
    markets = market_prices(MARKETS_PER_DAY * len(next(f for f in standard().fields if f.name == "komoditas").enum))
    return {
        "data-induk-pasar": markets[["kode_pasar", "nama_pasar", "kode_kecamatan"]].drop_duplicates(ignore_index=True)
    }


def broken(frame: pd.DataFrame, every: int = 50_000) -> pd.DataFrame:
    """A copy with a few rows broken for each rule kind (about 6 / `every` of the rows fail)."""
    bad = frame.copy()
    n = len(bad)
    at = lambda offset: np.arange(offset, n, every)  # noqa: E731
    bad.loc[at(1), "kode_kecamatan"] = "64.03.01"  # real code, outside the regency (in_set)
    bad.loc[at(2), "kode_kecamatan"] = "6409.01"  # in_set and regex
    bad.loc[at(3), "komoditas"] = "Beras Super"  # enum
    bad.loc[at(4), "harga"] = 0  # between
    bad.loc[at(5), "nama_pasar"] = None  # not null
    bad.loc[at(6), "tanggal"] = pd.Timestamp("2099-01-01")  # future date
    bad.loc[at(7), "kode_pasar"] = "psr 7"  # regex
    dup = at(8)
    bad.loc[dup, ["tanggal", "kode_pasar", "komoditas"]] = bad.loc[
        dup - 1, ["tanggal", "kode_pasar", "komoditas"]
    ].to_numpy()
    return bad


def agency_csv(frame: pd.DataFrame) -> str:
    """The rows as an agency sends them: `22/09/2022` dates and `Rp 12.500` prices, `;`-separated."""
    out = frame.drop(columns=["_source_file", "_source_sha256", "_source_row"]).copy()
    out["tanggal"] = out["tanggal"].dt.strftime("%d/%m/%Y")
    out["harga"] = "Rp " + out["harga"].astype("int64").map("{:,}".format).str.replace(",", ".", regex=False)
    header = ["Tanggal", "Kode Kecamatan", "Kode Pasar", "Nama Pasar", "Komoditas", "Satuan", "Harga"]
    return out.to_csv(index=False, sep=";", header=header)


# How the agency's header names map onto the standard (the catalogue's `columns` block).
AGENCY_COLUMNS = {
    "Tanggal": "tanggal",
    "Kode Kecamatan": "kode_kecamatan",
    "Kode Pasar": "kode_pasar",
    "Nama Pasar": "nama_pasar",
    "Komoditas": "komoditas",
    "Satuan": "satuan",
    "Harga": "harga",
}
