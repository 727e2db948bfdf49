"""The portal extension's bulk loader (`satudata_datastore_load`) against the real local portal: a large first
publish lands in a table typed and keyed from the standard, codes kept as sent; a daily change set is one
call; a whole table that the portal refuses leaves the previous version readable and fails the run with the
line and column; a duplicate key fails and the dataset stays private; `q=` finds bulk-loaded rows. A portal
without the extension gets the table in API batches."""

import io

import ckanapi
import pandas as pd
import pytest
import requests
import sqlalchemy as sa

import pipelines.publish.load_api as publish_module
from pipelines.publish import PublishError
from tests.test_publish import STANDARD, csv_resource, dump, merge, publish_warehouse, run

ROWS = 25_000


def large_table(rows: int = ROWS) -> pd.DataFrame:
    """Market prices with codes a type guesser would mangle: `64.09.01`, `0029`, `0164A`."""
    commodities = list(STANDARD.fields[4].enum)
    markets = ["0029", "0164A", "PSR-10", "PNJ-01", "0100"]
    per_day = len(commodities) * len(markets)
    days = -(-rows // per_day)
    frame = pd.DataFrame(
        [
            {
                "tanggal": pd.Timestamp("2024-01-01") + pd.Timedelta(days=d),
                "kode_kecamatan": f"64.09.0{1 + m % 4}",
                "kode_pasar": market,
                "nama_pasar": f"Pasar {market}",
                "komoditas": c,
                "satuan": "kg",
                "harga": 10_000 + (d * 7 + m * 13 + i) % 5_000,
            }
            for d in range(days)
            for m, market in enumerate(markets)
            for i, c in enumerate(commodities)
        ][:rows]
    )
    return frame


def datastore_table(target, resource_id) -> pd.DataFrame:
    """The whole DataStore table as the public reads it (the SQL endpoint, sorted by the key)."""
    key = ", ".join(f'"{k}"' for k in STANDARD.primary_key)
    found = target["anon"].action.datastore_search_sql(sql=f'SELECT * FROM "{resource_id}" ORDER BY {key}')
    return pd.DataFrame(found["records"]).drop(columns=["_id", "_full_text"], errors="ignore")


def published(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.assign(tanggal=frame["tanggal"].dt.strftime("%Y-%m-%d"))
    return out.sort_values(list(STANDARD.primary_key)).reset_index(drop=True)


def datastore_rows(sql: str, **params) -> list[tuple]:
    """Rows of a query on the DataStore database itself (what the portal's API does not show)."""
    from tests.conftest import _run

    engine = sa.create_engine(
        _run("bash", "scripts/postgres.sh", "url", "datastore").replace("postgresql://", "postgresql+psycopg://")
    )
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(sa.text(sql), params)]
    engine.dispose()
    return found


def datastore_sql(sql: str, **params) -> list:
    """The first column of `datastore_rows`."""
    return [row[0] for row in datastore_rows(sql, **params)]


def unique_key(resource_id: str) -> list[str]:
    """The columns of the table's unique index (the standard's key; `_id` is the real primary key), read from
    the DataStore database itself."""
    return sorted(
        datastore_sql(
            "SELECT a.attname FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid "
            "JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(i.indkey) "
            "WHERE t.relname = :table AND i.indisunique AND NOT i.indisprimary",
            table=resource_id,
        )
    )


def test_large_first_publish_is_bulk_loaded_typed_and_keyed(target):
    frame = large_table()
    merge(target, frame, "b1")
    result = publish_warehouse(target)
    assert result.load_path == "whole" and result.rows_sent == len(frame)
    assert "datastore_upsert" not in result.writes  # no row went through the API

    package = target["anon"].action.package_show(id=target["name"])
    assert not package["private"]
    resource = csv_resource(package)
    info = target["admin"].action.datastore_info(id=resource["id"])
    types = {f["id"]: f["type"] for f in info["fields"] if f["id"] != "_id"}
    assert types == {
        "tanggal": "date",
        "kode_kecamatan": "text",
        "kode_pasar": "text",
        "nama_pasar": "text",
        "komoditas": "text",
        "satuan": "text",
        "harga": "int8",
    }
    stored = datastore_table(target, resource["id"])
    pd.testing.assert_frame_equal(stored.astype(str), published(frame).astype(str))  # "0029", "0164A" as sent
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)
    # Vacuumed by the loader (every page marked all-visible), so autovacuum does not take the new table up
    # while the next change set is written.
    [(pages, visible)] = datastore_rows(
        "SELECT relpages, relallvisible FROM pg_class WHERE relname = :table", table=resource["id"]
    )
    assert pages > 0 and visible == pages
    with pytest.raises(ckanapi.ValidationError):
        target["admin"].action.datastore_upsert(
            resource_id=resource["id"],
            method="insert",
            force=True,
            records=[{**published(frame).iloc[0].to_dict(), "harga": 1}],
        )
    pd.testing.assert_frame_equal(dump(resource), stored.astype(str))
    assert publish_warehouse(target).writes == []

    # A daily change set: only the changed rows, in one call.
    changed = frame.copy()
    changed.loc[changed.index[::100], "harga"] += 250
    merge(target, changed, "b2")
    portal, asked = target["portal"](None), []
    read = portal.read
    portal.read = lambda action, **data: asked.append(action) or read(action, **data)
    daily = publish_warehouse(target, portal=portal)
    assert daily.load_path == "changes" and daily.rows_sent == len(frame[::100])
    assert daily.writes.count("satudata_datastore_load") == 1
    # The package names its organisation and pillar group: neither is asked for again.
    assert "organization_show" not in asked and "group_list" not in asked and "package_show" in asked
    after = target["admin"].action.package_show(id=target["name"])
    assert csv_resource(after)["id"] == resource["id"]
    pd.testing.assert_frame_equal(datastore_table(target, resource["id"]).astype(str), published(changed).astype(str))
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)


def test_a_refused_whole_table_leaves_the_previous_version_and_fails_the_run(target):
    """A computed table is replaced whole (one transaction): a value the int8 column refuses rolls it back."""
    frame = large_table()
    run(target, frame)
    before = target["admin"].action.package_show(id=target["name"])
    old = csv_resource(before)
    broken = frame.assign(harga=(frame["harga"] + 1).astype(object))
    broken.loc[4_321, "harga"] = "sepuluh ribu"  # the int8 column refuses it: COPY fails

    with pytest.raises(PublishError, match="satudata_datastore_load") as failure:
        run(target, broken)
    assert "line 4323, column harga" in str(failure.value)  # the CSV's line (header = line 1) and the column

    after = target["admin"].action.package_show(id=target["name"])
    assert after["satudata_content_sha256"] == before["satudata_content_sha256"] and not after["private"]
    assert after["satudata_versi_gudang"] == before["satudata_versi_gudang"]
    assert [r["id"] for r in after["resources"]] == [r["id"] for r in before["resources"]]
    pd.testing.assert_frame_equal(datastore_table(target, old["id"]).astype(str), published(frame).astype(str))


def test_a_duplicate_key_in_a_large_first_publish_fails_and_stays_private(target):
    """The unique key is built after the rows are in: a duplicated key must still fail the run, and the
    half-made dataset must not be public."""
    frame = large_table()
    duplicated = pd.concat([frame, frame.iloc[[17]].assign(harga=1)], ignore_index=True)
    with pytest.raises(PublishError, match="uniqueness|unique|duplicate"):
        run(target, duplicated)
    with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
        target["anon"].action.package_show(id=target["name"])


def test_a_primary_key_that_is_not_a_column_is_refused_by_name(target):
    """The loader answers a key naming no column with a validation error (HTTP 409), not a server error."""
    frame = large_table(10)
    run(target, frame)
    resource = csv_resource(target["admin"].action.package_show(id=target["name"]))
    upload = io.BytesIO(published(frame).to_csv(index=False).encode())
    answer = requests.post(
        f"{target['url']}/api/3/action/satudata_datastore_load",
        headers={"Authorization": target["admin"].apikey},
        data={"resource_id": resource["id"], "method": "replace", "primary_key": "tanggal,kode_toko"},
        files={"upload": ("rows.csv", upload, "text/csv")},
        timeout=60,
    )
    assert answer.status_code == 409, answer.text
    assert answer.json()["error"]["primary_key"] == ["not columns of the table: kode_toko"]


def test_full_text_search_finds_bulk_loaded_rows(target):
    """`q=` on a bulk-loaded table, through the GIN full-text index the portal is configured for."""
    frame = large_table()
    run(target, frame)
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    index = datastore_sql(
        "SELECT indexdef FROM pg_indexes WHERE tablename = :table AND position('_full_text' in indexdef) > 0",
        table=resource["id"],
    )
    assert len(index) == 1 and "USING gin" in index[0]
    found = target["anon"].action.datastore_search(resource_id=resource["id"], q="0164A", limit=5)
    assert found["total"] == int((frame["kode_pasar"] == "0164A").sum()) > 0
    assert {r["kode_pasar"] for r in found["records"]} == {"0164A"}
    # Every row's `_full_text` is what CKAN's own trigger computes for it, so rows upserted later match alike.
    differing = datastore_sql(
        f'SELECT count(*) FROM "{resource["id"]}" t WHERE t._full_text IS DISTINCT FROM '
        r"(SELECT to_tsvector(string_agg(value, ' ')) FROM json_each_text(row_to_json(t.*)) WHERE key NOT LIKE '\_%')"
    )
    assert differing == [0]


def test_a_portal_without_the_extension_gets_the_table_in_api_batches(target, monkeypatch):
    monkeypatch.setattr(publish_module, "FIRST_LOAD_BATCH", 5_000)
    frame = large_table()
    result = run(target, frame, loader="api")
    assert result.load_path == "whole" and result.rows_sent == len(frame)
    assert result.writes.count("datastore_upsert") == 5  # 4 batches two at a time, the last alone
    resource = csv_resource(target["anon"].action.package_show(id=target["name"]))
    pd.testing.assert_frame_equal(datastore_table(target, resource["id"]).astype(str), published(frame).astype(str))
    assert unique_key(resource["id"]) == sorted(STANDARD.primary_key)
