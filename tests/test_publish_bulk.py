"""The bulk loaders against the real local portal, each test once per loader: the portal extension's
`satudata_datastore_load` (what the pipeline picks) and ckanext-xloader 2.6.0 (for portals without the
extension). A large first publish lands in a table typed and keyed from the standard; daily changes still send
only changed rows (xloader does not reload the file); a change too big for one transaction replaces the
published table only once the new one is complete, and a failed load leaves the previous version and fails the
run. A portal with neither gets the table in API batches."""

import threading
import time

import ckanapi
import pandas as pd
import pytest
import requests
import sqlalchemy as sa

import pipelines.publish as publish_module
from pipelines.publish import XLOADER_MIN_ROWS, PublishError, safe_csv
from tests.test_publish import STANDARD, csv_resource, target  # noqa: F401 (target is a fixture)
from tests.test_publish import run as run_on

ROWS = XLOADER_MIN_ROWS + 5_000


def large_table(rows: int = ROWS) -> pd.DataFrame:
    """Market prices with codes a type guesser would mangle: `64.09.01`, `0029`, `0164A`."""
    commodities = list(STANDARD.fields[4].enum)
    markets = ["0029", "0164A", "PSR-10", "PNJ-01", "0100"]
    per_day = len(commodities) * len(markets)
    days = -(-rows // per_day)
    frame = pd.DataFrame([{"tanggal": pd.Timestamp("2024-01-01") + pd.Timedelta(days=d),
                           "kode_kecamatan": f"64.09.0{1 + m % 4}", "kode_pasar": market,
                           "nama_pasar": f"Pasar {market}", "komoditas": c, "satuan": "kg",
                           "harga": 10_000 + (d * 7 + m * 13 + i) % 5_000}
                          for d in range(days) for m, market in enumerate(markets)
                          for i, c in enumerate(commodities)][:rows])
    return frame


def datastore_table(target, resource_id) -> pd.DataFrame:
    """The whole DataStore table as the public reads it (the SQL endpoint, sorted by the key)."""
    key = ", ".join(f'"{k}"' for k in STANDARD.primary_key)
    found = target["anon"].action.datastore_search_sql(sql=f'SELECT * FROM "{resource_id}" ORDER BY {key}')
    return pd.DataFrame(found["records"]).drop(columns=["_id", "_full_text"], errors="ignore")


def published(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(tanggal=frame["tanggal"].dt.strftime("%Y-%m-%d"))
    return out.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def datastore_sql(sql: str, **params) -> list:
    """Rows of a query on the DataStore database itself (what the portal's API does not show)."""
    from tests.conftest import _run
    engine = sa.create_engine(_run("bash", "scripts/postgres.sh", "url", "datastore").replace(
        "postgresql://", "postgresql+psycopg://"))
    with engine.connect() as connection:
        found = connection.execute(sa.text(sql), params).scalars().all()
    engine.dispose()
    return found


@pytest.fixture(params=["satudata", "xloader"])
def loader(request) -> str:
    return request.param


def run(target, frame, loader):
    return run_on(target, frame, loader=loader)


def xloader_skipped_the_file(target, resource_id: str) -> bool:
    """Once xloader's job for the uploaded CSV has run: whether it left the table alone (the file's hash is
    the one already loaded) instead of loading it again."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        status = target["admin"].action.xloader_status(resource_id=resource_id)
        # The job's log is read from xloader's own database, which can lag the task's state a moment.
        if status.get("status") in ("complete", "error") and status.get("task_info"):
            return any("hash hasn't changed" in log["message"] for log in status["task_info"]["logs"])
        time.sleep(0.5)
    raise AssertionError(f"xloader job for {resource_id} did not finish")


def unique_key(resource_id: str) -> list[str]:
    """The columns of the table's unique index (the standard's key; `_id` is the real primary key), read from
    the DataStore database itself."""
    return sorted(datastore_sql(
        "SELECT a.attname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
        "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
        "WHERE t.relname = :table AND i.indisunique AND NOT i.indisprimary", table=resource_id))


def test_large_first_publish_is_bulk_loaded_typed_and_keyed(target, loader):
    frame = large_table()
    result = run(target, frame, loader)
    assert result.load_path == loader and result.rows_sent == len(frame)
    assert "datastore_upsert" not in result.writes             # no row went through the API

    package = target["anon"].action.package_show(id=target["name"])
    assert not package["private"]
    resource = csv_resource(package)
    info = target["admin"].action.datastore_info(id=resource["id"])
    types = {f["id"]: f["type"] for f in info["fields"] if f["id"] != "_id"}
    assert types == {"tanggal": "date", "kode_kecamatan": "text", "kode_pasar": "text", "nama_pasar": "text",
                     "komoditas": "text", "satuan": "text", "harga": "int8"}
    pd.testing.assert_frame_equal(datastore_table(target, resource["id"]).astype(str),
                                  published(frame).astype(str))     # "0029", "0164A", "64.09.01" kept as sent
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)
    with pytest.raises(ckanapi.ValidationError):
        target["admin"].action.datastore_upsert(resource_id=resource["id"], method="insert", force=True,
                                                records=[{**published(frame).iloc[0].to_dict(), "harga": 1}])
    assert requests.get(resource["url"], timeout=60).content == safe_csv(frame, STANDARD)
    assert run(target, frame, loader).writes == []

    # A daily change: only the changed rows, and xloader does not reload the new file (its hash is known).
    changed = frame.copy()
    changed.loc[changed.index[::100], "harga"] += 250
    daily = run(target, changed, loader)
    assert daily.load_path == "diff" and daily.rows_sent == len(frame[::100])
    after = target["admin"].action.package_show(id=target["name"])
    assert csv_resource(after)["id"] == resource["id"]
    assert xloader_skipped_the_file(target, resource["id"])
    pd.testing.assert_frame_equal(datastore_table(target, resource["id"]).astype(str),
                                  published(changed).astype(str))
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)


def test_a_big_change_replaces_the_table_only_when_complete(target, loader, monkeypatch):
    frame = large_table()
    run(target, frame, loader)
    old = csv_resource(target["admin"].action.package_show(id=target["name"]))
    monkeypatch.setattr(publish_module, "ATOMIC_MAX_ROWS", 1_000)   # every price changes: too big for one call
    changed = frame.assign(harga=frame["harga"] + 1)

    seen, done = [], threading.Event()

    def watch():   # what the public sees of the published table while the new one loads
        while not done.is_set():
            try:
                seen.append(target["anon"].action.datastore_search(resource_id=old["id"], limit=0)["total"])
            except ckanapi.NotFound:
                seen.append("replaced")
    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        result = run(target, changed, loader)
    finally:
        done.set()
        watcher.join()
    assert result.load_path == f"{loader}-replace"
    assert set(seen) <= {len(frame), "replaced"} and seen.count(len(frame)) > 0

    package = target["anon"].action.package_show(id=target["name"])
    assert [r["name"] for r in package["resources"]].count("harga-pasar.csv") == 1
    assert not any(publish_module.STAGING_SUFFIX in r["name"] for r in package["resources"])
    new = csv_resource(package)
    assert new["id"] != old["id"]
    pd.testing.assert_frame_equal(datastore_table(target, new["id"]).astype(str), published(changed).astype(str))
    assert unique_key(new["id"]) == sorted(STANDARD.primary_key)


def test_a_failed_bulk_load_leaves_the_previous_version_and_fails_the_run(target, loader, monkeypatch):
    frame = large_table()
    run(target, frame, loader)
    before = target["admin"].action.package_show(id=target["name"])
    old = csv_resource(before)
    monkeypatch.setattr(publish_module, "ATOMIC_MAX_ROWS", 1_000)
    broken = frame.assign(harga=(frame["harga"] + 1).astype(object))
    broken.loc[4_321, "harga"] = "sepuluh ribu"             # the int8 column refuses it: COPY fails

    with pytest.raises(PublishError, match=loader) as failure:
        run(target, broken, loader)
    assert "sepuluh ribu" in str(failure.value) or "integer" in str(failure.value)
    if loader == "satudata":   # the CSV's line (header = line 1) and the column
        assert "line 4323, column harga" in str(failure.value)

    after = target["admin"].action.package_show(id=target["name"])
    assert after["satudata_content_sha256"] == before["satudata_content_sha256"] and not after["private"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]   # staging removed
    pd.testing.assert_frame_equal(datastore_table(target, old["id"]).astype(str), published(frame).astype(str))


def test_a_duplicate_key_in_a_large_first_publish_fails_and_stays_private(target, loader):
    """The unique key is built after the rows are in: a duplicated key must still fail the run, and the
    half-made dataset must not be public."""
    frame = large_table()
    duplicated = pd.concat([frame, frame.iloc[[17]].assign(harga=1)], ignore_index=True)
    with pytest.raises(PublishError, match="uniqueness|unique|duplicate"):
        run(target, duplicated, loader)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        target["anon"].action.package_show(id=target["name"])


def test_full_text_search_finds_bulk_loaded_rows(target, loader):
    """`q=` on a bulk-loaded table, through the GIN full-text index the portal is configured for."""
    frame = large_table()
    run(target, frame, loader)
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    index = datastore_sql("SELECT indexdef FROM pg_indexes WHERE tablename = :table "
                          "AND position('_full_text' in indexdef) > 0", table=resource["id"])
    assert len(index) == 1 and "USING gin" in index[0]
    found = target["anon"].action.datastore_search(resource_id=resource["id"], q="0164A", limit=5)
    assert found["total"] == int((frame["kode_pasar"] == "0164A").sum()) > 0
    assert {r["kode_pasar"] for r in found["records"]} == {"0164A"}
    # Every row's `_full_text` is what CKAN's own trigger computes for it, so rows upserted later match alike.
    differing = datastore_sql(
        f'SELECT count(*) FROM "{resource["id"]}" t WHERE t._full_text IS DISTINCT FROM '
        r"(SELECT to_tsvector(string_agg(value, ' ')) FROM json_each_text(row_to_json(t.*)) WHERE key NOT LIKE '\_%')")
    assert differing == [0]


def test_a_portal_without_a_bulk_loader_gets_the_table_in_api_batches(target, monkeypatch):
    monkeypatch.setattr(publish_module, "FIRST_LOAD_BATCH", 5_000)
    frame = large_table()
    result = run_on(target, frame, loader="api")
    assert result.load_path == "first-load" and result.rows_sent == len(frame)
    assert result.writes.count("datastore_upsert") == 4     # 5,000 with the create, 3 batches two at a time, 1 last
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    pd.testing.assert_frame_equal(datastore_table(target, resource["id"]).astype(str), published(frame).astype(str))
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)
