"""Faults of the project's PostgreSQL cluster, for real: it holds the portal's databases (CKAN and its
DataStore) and, in production, the warehouse. Restarted by the project's own script while the portal loads a
change set and between a merge and its publication; crashed (SIGQUIT to the postmaster's pid, PostgreSQL's
immediate shutdown) in the middle of a warehouse merge. After each: what the public saw meanwhile, then one
plain re-run, then the DataStore table compared with the warehouse by key and checksum."""

import os
import signal
import threading
import time

import pandas as pd
import pytest
import requests
import sqlalchemy as sa

from pipelines import warehouse
from pipelines.publish import ALL_DOWNLOADS, PublishError, publish
from tests.conftest import SERVICES_STATE, _run
from tests.faults.report import FaultFigures, record
from tests.faults.test_portal_killed import converged
from tests.test_publish import DISTRICTS, STANDARD, csv_resource, dump, merge, publish_warehouse
from tests.test_publish_bulk import large_table

ROWS = 60_000
MERGED_ROWS = 200_000  # a merge into PostgreSQL that lasts a few seconds, to crash the server in the middle of
FAULT_AFTER_S = 0.3


def restart_postgres() -> None:
    """What an administrator's restart does: sessions ended, transactions in flight rolled back."""
    _run("bash", "scripts/postgres.sh", "stop")
    _run("bash", "scripts/postgres.sh", "start")


def crash_postgres() -> int:
    """SIGQUIT to the postmaster (by the pid in its pidfile): every backend stops at once, no checkpoint;
    the next start recovers from the write-ahead log."""
    data = _run("bash", "scripts/postgres.sh", "status").rsplit("(", 1)[1].rstrip(")")
    pid = int(open(os.path.join(data, "postmaster.pid")).readline())
    os.kill(pid, signal.SIGQUIT)
    for _ in range(100):  # bounded: the postmaster exits within a second or two
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.1)
    return pid


def public_table(target) -> pd.DataFrame:
    return dump(csv_resource(target["anon"].action.package_show(id=target["name"])))


@pytest.fixture
def on_postgres(target, postgres_url):
    """The test's publication target, its warehouse on the project's PostgreSQL instead of DuckDB."""
    target["engine"] = warehouse.create_engine(postgres_url)
    yield target
    target["engine"].dispose()


def test_the_portals_database_restarted_mid_load_keeps_the_previous_version_and_one_rerun_converges(target):
    frame = large_table(ROWS)
    merge(target, frame, "b1")
    publish_warehouse(target)
    before = public_table(target)
    merge(target, frame.assign(harga=frame["harga"] + 3), "b2")  # every price: a large change set
    portal = target["portal"]()
    write, restarted = portal.write, threading.Event()

    def restarting(action, /, files=None, **data):
        if action == "satudata_datastore_load" and not restarted.is_set():
            restarted.set()
            threading.Timer(FAULT_AFTER_S, restart_postgres).start()
        return write(action, files=files, **data)

    portal.write = restarting
    with pytest.raises(PublishError):
        publish(
            portal,
            target["regency"],
            target["dataset"],
            STANDARD,
            warehouse.PublishedTable(target["engine"], STANDARD, "64.09"),
            {"run_id": "run-2"},
            DISTRICTS,
            downloads=ALL_DOWNLOADS,
        )
    assert restarted.is_set()
    _run("bash", "scripts/postgres.sh", "start")  # the restart's second half may still be under way: waits for it

    seen = public_table(target)
    pd.testing.assert_frame_equal(seen, before)  # the change set's transaction was rolled back whole
    publish_warehouse(target)
    figures = converged(target)
    record(
        FaultFigures(
            "the portal's database restarted mid-load",
            f"PostgreSQL restarted {FAULT_AFTER_S} s into satudata_datastore_load of a change set of every row",
            f"the previous version, complete ({len(seen):,} rows)",
            figures["expected"],
            figures["found"],
            figures["duplicated"],
            1,
        )
    )
    assert (figures["found"], figures["duplicated"], figures["differing"]) == (figures["expected"], 0, 0)


def test_postgresql_crashed_during_a_merge_applies_nothing_and_one_rerun_converges(on_postgres):
    target = on_postgres
    frame = large_table(MERGED_ROWS)
    merge(target, frame, "b1")
    publish_warehouse(target)
    before = public_table(target)
    versions_before = warehouse.changes(target["engine"], STANDARD, "64.09", {}).versions
    changed = frame.assign(harga=frame["harga"] + 5)
    crashed = {}
    timer = threading.Timer(FAULT_AFTER_S, lambda: crashed.update(pid=crash_postgres()))
    timer.start()
    with pytest.raises(sa.exc.DBAPIError):
        merge(target, changed, "b2")
    timer.join()
    assert crashed.get("pid")
    _run("bash", "scripts/postgres.sh", "start")

    # Nothing half-applied: the warehouse holds the previous version whole, and the public its table.
    target["engine"].dispose()
    assert warehouse.changes(target["engine"], STANDARD, "64.09", {}).versions == versions_before
    pd.testing.assert_frame_equal(public_table(target), before)
    merge(target, changed, "b2")  # one plain re-run: the same batch merged and published
    publish_warehouse(target)
    figures = converged(target)
    record(
        FaultFigures(
            "PostgreSQL warehouse crashed during a merge",
            f"SIGQUIT to the postmaster (pid "
            f"{crashed['pid']}) {FAULT_AFTER_S} s into the merge of {MERGED_ROWS:,} changed rows",
            f"the previous version, complete ({len(before):,} rows)",
            figures["expected"],
            figures["found"],
            figures["duplicated"],
            1,
        )
    )
    assert (figures["found"], figures["duplicated"], figures["differing"]) == (figures["expected"], 0, 0)


def test_postgresql_restarted_between_merge_and_publication_publishes_without_a_rerun(on_postgres):
    target = on_postgres
    frame = large_table(ROWS)
    merge(target, frame, "b1")
    publish_warehouse(target)
    merge(target, frame.assign(harga=frame["harga"] + 7), "b2")
    restart_postgres()
    # The pooled connections died with the server; the publication reconnects instead of failing.
    result = publish_warehouse(target)
    figures = converged(target)
    record(
        FaultFigures(
            "PostgreSQL restarted between merge and publication",
            "PostgreSQL (warehouse and portal databases) restarted after the merge",
            "the previous version, complete",
            figures["expected"],
            figures["found"],
            figures["duplicated"],
            0,
        )
    )
    assert result.rows_sent == ROWS
    assert (figures["found"], figures["duplicated"], figures["differing"]) == (figures["expected"], 0, 0)


def test_the_portal_survives_its_database_restarting_while_its_workers_boot(portal_env):
    """The portal answers once its first worker is up and the others build the app one at a time after it: a
    database restart in that window used to fail a worker's boot, and gunicorn then stopped the whole portal."""
    _run("bash", "portal/stop.sh")
    _run("bash", "portal/start.sh")  # returns when the first worker serves
    _run("bash", "scripts/postgres.sh", "stop")
    time.sleep(3)  # bounded: the later workers meet the database down while they build the app
    _run("bash", "scripts/postgres.sh", "start")
    master = int((SERVICES_STATE / "portal" / "ckan.pid").read_text())
    time.sleep(20)  # a worker that failed its boot halts gunicorn within seconds; the others boot meanwhile
    os.kill(master, 0)  # raises ProcessLookupError if gunicorn stopped
    assert requests.get(portal_env["CKAN_URL"] + "/api/3/action/status_show", timeout=30).ok
