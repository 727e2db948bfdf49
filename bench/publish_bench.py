"""Publishing speed against a running portal (not run by the tests; a few minutes):

    set -a; . .state/portal/env; set +a; .venv/bin/python bench/publish_bench.py [--rows 1000000]

Prints rows/s for (1) a first publish of a market-price table through `pipelines.publish` (the path it
picks: on the project's portal, ckanext-satudata's `satudata_datastore_load`), (2) a 1% daily change (only
changed rows, one `satudata_datastore_load` upsert call), (3) the unchanged re-run, (4) the same first
publish through ckanext-xloader (the path for portals without the project's extension), and, measured in the same run on a
part of the table and extrapolated to all of it, (5) the first publish of 200,000 rows (`--api-rows`) through
the API path (portals with neither loader: 50,000-row batches, two in flight) and the anchors (6) plain
`datastore_upsert` in 10,000-row batches and (7) `datastore_create` with records in 50,000-row batches, one at
a time (`--sample` rows).
The bench's datasets are purged at the end."""

import argparse
import os
import time
import uuid

import ckanapi
import numpy as np
import pandas as pd

from pipelines.catalogue import Agency, Dataset, Regency, Source
from pipelines.metadata import datastore_fields
from pipelines.publish import Portal, publish, records, safe_csv
from pipelines.standard import load_standard

STANDARD = load_standard("harga-pasar/1.0.0")


def table(rows: int) -> pd.DataFrame:
    commodities = list(next(f for f in STANDARD.fields if f.name == "komoditas").enum)
    markets = max(1, rows // (len(commodities) * 365) + 1)
    n = len(commodities) * markets
    days = -(-rows // n)
    frame = pd.DataFrame({
        "tanggal": np.repeat(pd.date_range("2020-01-01", periods=days, freq="D"), n)[:rows],
        "kode_kecamatan": np.tile([f"64.09.0{1 + m % 4}" for m in range(markets) for _ in commodities], days)[:rows],
        "kode_pasar": np.tile([f"PSR-{m:04d}" for m in range(markets) for _ in commodities], days)[:rows],
        "nama_pasar": np.tile([f"Pasar {m}" for m in range(markets) for _ in commodities], days)[:rows],
        "komoditas": np.tile(commodities * markets, days)[:rows],
        "satuan": "kg",
        "harga": np.random.default_rng(1).integers(5_000, 150_000, rows),
    })
    return frame


def bench_target() -> tuple[Regency, Dataset]:
    slug = f"bench{uuid.uuid4().hex[:5]}"
    agency = Agency(f"disdag-{slug}", "Dinas Perdagangan (bench)", "bench", "bench@localhost")
    dataset = Dataset("harga-pasar", STANDARD.ref, agency, Source("file_drop", {}), {})
    regency = Regency(code="64.09", slug=slug, name="Kabupaten Bench", walidata="Diskominfo (bench)", portal="local",
                      timezone="Asia/Makassar", agencies=(agency,), datasets=(dataset,))
    return regency, dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--sample", type=int, default=50_000, help="rows for the API anchors (extrapolated)")
    parser.add_argument("--api-rows", type=int, default=200_000,
                        help="rows for the first publish through API batches (extrapolated)")
    args = parser.parse_args()
    url, token = os.environ["CKAN_URL"], os.environ["CKAN_API_TOKEN"]
    ckan = ckanapi.RemoteCKAN(url, apikey=token)
    targets = [bench_target() for _ in range(3)]   # (regency, dataset): the default path, xloader, the API
    regency, dataset = targets[0]
    frame = table(args.rows)
    portal = Portal(url, token)
    print(f"portal extensions: {', '.join(portal.read('status_show').get('extensions', []))}")
    print(f"machine: {os.cpu_count()} cores (shared); table {args.rows:,} rows x {len(frame.columns)} columns, "
          f"CSV {len(safe_csv(frame, STANDARD)) / 1e6:.1f} MB")
    try:
        t = time.perf_counter()
        first = publish(portal, regency, dataset, STANDARD, frame, {"run_id": "bench"}, set())
        s = time.perf_counter() - t
        print(f"first publish   {len(frame):>9,} rows {s:7.1f} s {len(frame) / s:9,.0f} rows/s  ({first.load_path})")

        changed = frame.copy()
        pick = np.random.default_rng(2).choice(len(frame), size=len(frame) // 100, replace=False)
        changed.loc[pick, "harga"] += 250
        t = time.perf_counter()
        daily = publish(Portal(url, token), regency, dataset, STANDARD, changed, {"run_id": "bench-2"}, set())
        s = time.perf_counter() - t
        print(f"1% daily change {daily.rows_sent:>9,} rows {s:7.1f} s {daily.rows_sent / s:9,.0f} changed rows/s, "
              f"{len(frame) / s:,.0f} table rows/s  ({daily.load_path}, {len(daily.writes)} writes)")

        t = time.perf_counter()
        again = publish(Portal(url, token), regency, dataset, STANDARD, changed, {"run_id": "bench-3"}, set())
        print(f"unchanged re-run: {len(again.writes)} writes, {time.perf_counter() - t:.1f} s")

        t = time.perf_counter()
        other = publish(Portal(url, token, loader="xloader"), *targets[1], STANDARD, frame, {"run_id": "bench-4"},
                        set())
        s = time.perf_counter() - t
        print(f"first publish   {len(frame):>9,} rows {s:7.1f} s {len(frame) / s:9,.0f} rows/s  ({other.load_path})")

        sample = frame.iloc[:args.sample]
        api_rows = frame.iloc[:args.api_rows]
        t = time.perf_counter()
        api = publish(Portal(url, token, loader="api"), *targets[2], STANDARD, api_rows, {"run_id": "bench-5"}, set())
        s = time.perf_counter() - t
        whole = len(frame) / len(api_rows) * s
        print(f"first publish   {len(api_rows):>9,} rows {s:7.1f} s {len(api_rows) / s:9,.0f} rows/s  "
              f"({api.load_path}, API batches; a {len(frame):,}-row table that way: ~{whole:,.0f} s)")

        # Anchors, same run, on a sample: plain datastore_upsert (10,000-row batches) and datastore_create
        # with records (50,000-row batches), each into a fresh typed, keyed table.
        package = ckan.action.package_show(id=f"{regency.slug}-harga-pasar")
        rows = records(sample)
        for label, batch, method in (("plain upsert", 10_000, "upsert"), ("create+records", 50_000, "insert")):
            base = ckan.action.datastore_create(resource={"package_id": package["id"], "name": label},
                                                fields=datastore_fields(STANDARD),
                                                primary_key=list(STANDARD.primary_key), force=True)
            t = time.perf_counter()
            for start in range(0, len(rows), batch):
                if method == "insert":
                    ckan.action.datastore_create(resource_id=base["resource_id"], records=rows[start:start + batch],
                                                 force=True)
                else:
                    ckan.action.datastore_upsert(resource_id=base["resource_id"], records=rows[start:start + batch],
                                                 method="upsert", force=True)
            s = time.perf_counter() - t
            rate = len(rows) / s
            print(f"{label:<15} {len(rows):>9,} rows {s:7.1f} s {rate:9,.0f} rows/s  (sample; a {len(frame):,}-row "
                  f"table that way: ~{len(frame) / rate:,.0f} s, extrapolated)")
    finally:
        for bench_regency, bench_dataset in targets:
            for action, name in (("dataset_purge", f"{bench_regency.slug}-harga-pasar"),
                                 ("organization_purge", bench_dataset.agency.slug)):
                try:
                    ckan.call_action(action, {"id": name})
                except ckanapi.NotFound:
                    pass


if __name__ == "__main__":
    main()
