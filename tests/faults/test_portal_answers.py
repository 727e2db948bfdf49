"""The portal misbehaving, injected by a fault proxy of the test's own (tests/faults/proxy.py) between the
pipeline and the real local portal: HTTP 503 or 500 for a while during a change set, answers slower than the
client's timeout, a wrong or revoked API token. The public reads the portal directly, so what it saw while the
fault lasted is the portal's own state. After each fault: one plain re-run, then the DataStore table compared
with the warehouse by key and checksum, and the figures recorded (tests/faults/report.py)."""

import shutil
import time
import uuid

import ckanapi
import dagster as dg
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.publish import ALL_DOWNLOADS, DEFAULT_TIMEOUT_S, TIMEOUT_ENV, Portal, PublishError, publish
from tests.faults.proxy import FaultProxy
from tests.faults.report import FaultFigures, record
from tests.faults.test_portal_killed import converged
from tests.helpers import market_price_catalogue, point_pipeline_at, purge, run_main_job
from tests.test_publish import DISTRICTS, STANDARD, csv_resource, dump, merge, publish_warehouse, workbook
from tests.test_publish_bulk import large_table

FAULT_S = 1.5  # how long the portal misbehaves
TIMEOUT_S = 1.0  # the pipeline's wait for one answer, in the slow cases
SLOW_S = 3.0  # how late the slow portal answers
ROWS = 1_000  # version 1 of the table (10 days of 5 markets)
# A late delivery of Dinas Perdagangan PPU: three prices of a day the portal does not hold yet.
LATE_BATCH = (
    "Tanggal;Kode Kecamatan;Kode Pasar;Nama Pasar;Komoditas;Satuan;Harga (Rp)\n"
    "29/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Beras Premium;kg;Rp 14.900\n"
    "29/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Beras Medium;kg;Rp 13.100\n"
    "29/10/2026;64.09.01;PNJ-01;Pasar Induk Penajam;Gula Pasir;kg;Rp 17.200\n"
)


def publish_then_change(target) -> pd.DataFrame:
    """Version 1 published (directly, not through the proxy), then version 2 merged: prices corrected, a
    row gone, a new day. Returns version 1 as the public downloads it."""
    frame = large_table(ROWS)
    merge(target, frame, "b1")
    publish_warehouse(target)
    changed = frame.copy()
    changed.loc[::3, "harga"] += 250
    new_day = changed[changed["tanggal"] == changed["tanggal"].max()].assign(
        tanggal=changed["tanggal"].max() + pd.Timedelta(days=1)
    )
    assert merge(target, pd.concat([changed.drop(index=[5]), new_day], ignore_index=True), "b2").deleted == 1
    return dump(csv_resource(target["anon"].action.package_show(id=target["name"])))


def through(target, proxy: FaultProxy, **portal):
    """The portal step's publication of the warehouse, with the pipeline talking to the proxy."""
    client = Portal(proxy.url, target["portal"]().token, **portal)
    return publish(
        client,
        target["regency"],
        target["dataset"],
        STANDARD,
        warehouse.PublishedTable(target["engine"], STANDARD, "64.09"),
        {"run_id": "run-2"},
        DISTRICTS,
        downloads=ALL_DOWNLOADS,
    )


def public_view(target) -> tuple[pd.DataFrame, str]:
    """What an anonymous visitor gets: the table's CSV download (the XLSX holding the same rows) and the
    versions the dataset names."""
    package = target["anon"].action.package_show(id=target["name"])
    table = dump(csv_resource(package))
    pd.testing.assert_frame_equal(workbook(package), table)
    return table, package["satudata_versi_gudang"]


def rerun_converges(target, proxy: FaultProxy, case: str, faults: str, public_saw: str) -> None:
    """One plain re-run once the fault is over; then the portal's table against the warehouse."""
    proxy.wait_until_over()
    rerun = through(target, proxy)
    assert rerun.load_path == "changes" and rerun.versions == {"64.09": 2}
    found = converged(target)
    figures = record(
        FaultFigures(case, faults, public_saw, found["expected"], found["found"], found["duplicated"], reruns=1)
    )
    assert (figures.lost, figures.duplicated, found["differing"]) == (0, 0, 0)
    assert (figures.found, found["versions"]) == (figures.expected, '{"64.09": 2}')
    package = target["anon"].action.package_show(id=target["name"])
    xlsx = next(r for r in package["resources"] if r["format"] == "XLSX")
    assert xlsx["url"].startswith(target["url"] + "/")  # the public's address, not the proxy the pipeline used


@pytest.mark.parametrize(
    "status, starting_at",
    [(503, "satudata_datastore_load"), (500, None)],
    ids=["503 from the load", "500 from the first request"],
)
def test_a_portal_answering_errors_for_a_while_fails_by_name_and_one_rerun_converges(target, status, starting_at):
    before = publish_then_change(target)
    with FaultProxy(target["url"]) as proxy:
        proxy.fail(status, starting_at=starting_at, seconds=FAULT_S)
        with pytest.raises(PublishError) as failure:
            through(target, proxy)
        # A named, retryable failure (retry_or_fail turns it into the dataset's retries), not a traceback.
        message = str(failure.value)
        assert not failure.value.permanent
        assert f"HTTP {status}" in message and "gagal menjawab" in message and "failed to answer" in message
        assert not {"package_revise", "resource_patch", "resource_create"} & set(proxy.actions("forwarded"))

        seen, versions = public_view(target)  # the fault still lasting
        pd.testing.assert_frame_equal(seen, before)
        assert versions == '{"64.09": 1}'
        first = proxy.actions(f"HTTP {status}")[0]
        rerun_converges(
            target,
            proxy,
            f"portal HTTP {status}",
            f"the portal's answers replaced by HTTP {status} for {FAULT_S:g} s from the first "
            f"{first} of a change set publication",
            f"the previous version, complete ({len(seen)} rows, versions {versions})",
        )


@pytest.mark.parametrize(
    "starting_at", [None, "satudata_datastore_load"], ids=["every answer slow", "the load's answer slow"]
)
def test_a_portal_slower_than_the_timeout_fails_in_time_by_name_and_one_rerun_converges(target, starting_at):
    before = publish_then_change(target)
    with FaultProxy(target["url"]) as proxy:
        fault = proxy.slow(
            SLOW_S, starting_at=starting_at, **({"seconds": FAULT_S} if starting_at is None else {"requests": 1})
        )
        started = time.monotonic()
        with pytest.raises(PublishError) as failure:
            through(target, proxy, timeout=TIMEOUT_S)
        failed_at = time.monotonic()
        # Given up after the timeout, before the portal's answer came: no step hangs on a slow portal.
        proxy.wait_for(lambda: fault.answers_due)  # the proxy holds it once the portal answered
        assert failed_at < fault.answers_due[0]
        message = str(failure.value)
        assert not failure.value.permanent
        assert f"tidak menjawab dalam {TIMEOUT_S:g} detik" in message
        assert f"did not answer within {TIMEOUT_S:g} s" in message and "SATUDATA_PORTAL_TIMEOUT" in message
        held = proxy.actions(f"held {SLOW_S:g} s")
        assert held == [starting_at or "user_show"]

        seen, versions = public_view(target)
        if starting_at is None:  # nothing reached the portal's tables
            pd.testing.assert_frame_equal(seen, before)
            assert versions == '{"64.09": 1}'
            public = f"the previous version, complete ({len(seen)} rows, versions {versions})"
        else:
            # The portal finished the load after the pipeline gave up: the new table, whole (one transaction),
            # beside the previous metadata until the re-run records the versions. Never a mix of the two.
            wanted = converged(target)
            assert (wanted["found"], wanted["duplicated"], wanted["differing"]) == (wanted["expected"], 0, 0)
            assert versions == '{"64.09": 1}'
            public = (
                f"the new table, complete ({len(seen)} rows: the load committed after the client gave up), "
                f"beside the previous metadata (versions {versions}) until the re-run"
            )
        rerun_converges(
            target,
            proxy,
            "portal slower than the timeout",
            f"{'every answer' if starting_at is None else 'the answer to ' + starting_at} "
            f"held {SLOW_S:g} s against a {TIMEOUT_S:g} s timeout (client gave up after "
            f"{failed_at - started:.1f} s)",
            public,
        )


def test_the_portal_timeout_comes_from_the_environment_and_a_bad_one_fails_at_once(monkeypatch):
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert Portal("http://127.0.0.1:1", "t").timeout == DEFAULT_TIMEOUT_S == 300
    monkeypatch.setenv(TIMEOUT_ENV, "45")
    assert Portal("http://127.0.0.1:1", "t").timeout == 45
    for wrong in ("0", "-5", "lima menit", "inf"):
        monkeypatch.setenv(TIMEOUT_ENV, wrong)
        with pytest.raises(PublishError, match="harus jumlah detik") as refused:
            Portal("http://127.0.0.1:1", "t")
        assert refused.value.permanent  # a setting: retrying cannot mend it


@pytest.fixture
def ppu(tmp_path, monkeypatch, isolated_state, services_state, portal_env):
    """A catalogue of one regency (PPU's market prices from a drop folder); the pipeline reaches the portal
    through the fault proxy (CKAN_URL), the test and the public directly."""
    slug = f"t{uuid.uuid4().hex[:6]}"
    catalogue, drop = market_price_catalogue(tmp_path, slug)
    shutil.copytree(services_state / "reference", isolated_state / "reference")
    ckan = ckanapi.RemoteCKAN(portal_env["CKAN_URL"], apikey=portal_env["CKAN_API_TOKEN"])
    with FaultProxy(portal_env["CKAN_URL"]) as proxy:
        point_pipeline_at(monkeypatch, catalogue, proxy.url, portal_env["CKAN_API_TOKEN"], tmp_path / "wh.duckdb")
        yield {
            "drop": drop,
            "proxy": proxy,
            "token": portal_env["CKAN_API_TOKEN"],
            "admin": ckan,
            "anon": ckanapi.RemoteCKAN(portal_env["CKAN_URL"]),
            "name": f"{slug}-harga-pasar",
            "engine": warehouse.create_engine(f"duckdb:///{tmp_path / 'wh.duckdb'}"),
        }
    purge(ckan, [("dataset_purge", f"{slug}-harga-pasar"), ("organization_purge", f"disdag-{slug}")])


def revoked_token(admin: ckanapi.RemoteCKAN) -> str:
    """A token that was the pipeline user's and is no more: what an expired token is to CKAN."""
    user = admin.action.user_show()["name"]
    token = admin.action.api_token_create(user=user, name=f"fault-{uuid.uuid4().hex[:6]}")["token"]
    admin.action.api_token_revoke(token=token)
    return token


@pytest.mark.parametrize("kind", ["wrong", "revoked"])
def test_a_wrong_or_revoked_token_fails_at_once_before_any_write_and_one_rerun_converges(ppu, monkeypatch, kind):
    assert run_main_job().success  # version 1 published
    before, versions = public_view(ppu)
    (ppu["drop"] / "harga_pasar_2026-10_susulan.csv").write_text(LATE_BATCH, encoding="utf-8")

    monkeypatch.setenv("CKAN_API_TOKEN", "token-yang-salah" if kind == "wrong" else revoked_token(ppu["admin"]))
    ppu["proxy"].log.clear()
    refused = run_main_job()
    assert not refused.success
    [failure] = refused.get_step_failure_events()
    message = failure.event_specific_data.error.message
    assert failure.step_key == "harga_pasar__portal"
    assert "tidak diterima" in message and "token is not accepted" in message and "wrong, expired" in message
    # At once: no retry (waiting does not mend a token); before any write: the token is the first question.
    assert not [e for e in refused.all_events if e.event_type == dg.DagsterEventType.STEP_UP_FOR_RETRY]
    assert ppu["proxy"].actions() == ["user_show"]
    seen, still = public_view(ppu)
    pd.testing.assert_frame_equal(seen, before)
    assert still == versions == '{"64.09": 1}'

    monkeypatch.setenv("CKAN_API_TOKEN", ppu["token"])
    assert run_main_job().success  # the delivery was not forgotten: the source moved on only once published
    found = converged(ppu)
    figures = record(
        FaultFigures(
            f"portal token {kind}",
            f"a {kind} API token for the portal step (check_token: user_show)",
            f"the previous version, complete ({len(seen)} rows, versions {versions})",
            found["expected"],
            found["found"],
            found["duplicated"],
            reruns=1,
        )
    )
    assert (figures.lost, figures.duplicated, found["differing"]) == (0, 0, 0)
    assert found["expected"] == len(before) + LATE_BATCH.count("\n") - 1 and found["versions"] == '{"64.09": 2}'
