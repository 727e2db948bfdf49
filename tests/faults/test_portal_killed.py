"""Faults injected into the real portal: its CKAN process killed (SIGKILL, by the pid in its pidfile) while a
load is in flight, during a first publication and during a change set. After each: what the public saw
meanwhile, then one plain re-run, then the DataStore table compared with the warehouse by key and checksum.
Each case records its figures (tests/faults/report.py)."""

import os
import signal
import threading

import ckanapi
import pandas as pd
import pytest

from pipelines import warehouse
from pipelines.publish import ALL_DOWNLOADS, publish
from tests.conftest import SERVICES_STATE, _run
from tests.faults.report import FaultFigures, record
from tests.test_publish import DISTRICTS, STANDARD, checksums, csv_resource, dump, expected, merge, publish_warehouse
from tests.test_publish_bulk import large_table

ROWS = 60_000  # a load that lasts long enough to be killed in the middle of
KILL_AFTER_S = 0.3  # after the loader's request was sent


def kill_portal_during(portal, action: str) -> dict:
    """Make the portal's web server (its process group: master and workers) die KILL_AFTER_S seconds into the
    first `action` request."""
    killed = {}
    write = portal.write

    def killing(called, /, files=None, **data):
        if called == action and not killed:
            pid = int((SERVICES_STATE / "portal" / "ckan.pid").read_text())
            timer = threading.Timer(KILL_AFTER_S, lambda: os.killpg(pid, signal.SIGKILL))
            killed["pid"] = pid
            timer.start()
        return write(called, files=files, **data)

    portal.write = killing
    return killed


def converged(target) -> dict:
    """The DataStore table against the warehouse: rows expected, found, duplicated, differing."""
    package = target["admin"].action.package_show(id=target["name"])
    stored = dump(csv_resource(package))  # every row, as the public downloads it
    wanted = expected(
        warehouse.read_published(target["engine"], STANDARD, "64.09").assign(
            tanggal=lambda f: pd.to_datetime(f["tanggal"])
        )
    ).astype(str)
    duplicated = int(stored.duplicated(list(STANDARD.primary_key)).sum())
    mine, theirs = checksums(stored), checksums(wanted)
    return {
        "expected": len(wanted),
        "found": len(stored),
        "duplicated": duplicated,
        "differing": sum(mine.get(k) != v for k, v in theirs.items()),
        "versions": package["satudata_versi_gudang"],
    }


@pytest.mark.parametrize("moment", ["first publication", "change set"])
def test_the_portal_killed_mid_load_leaves_a_complete_version_and_one_rerun_converges(target, moment):
    frame = large_table(ROWS)
    merge(target, frame, "b1")
    if moment == "change set":
        publish_warehouse(target)
        before = dump(csv_resource(target["anon"].action.package_show(id=target["name"])))
        merge(target, frame.assign(harga=frame["harga"] + 3), "b2")  # every price: a large change set
    portal = target["portal"]()
    killed = kill_portal_during(portal, "satudata_datastore_load")
    with pytest.raises(Exception) as failure:
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
    assert killed.get("pid"), failure.value
    _run("bash", "portal/start.sh")

    # What the public saw: nothing (a first publication stays private until complete), or the previous
    # version whole (the change set's transaction died with the process).
    if moment == "first publication":
        with pytest.raises((ckanapi.NotAuthorized, ckanapi.NotFound)):
            target["anon"].action.package_show(id=target["name"])
        public = "nothing (the dataset is still private)"
    else:
        package = target["anon"].action.package_show(id=target["name"])
        seen = dump(csv_resource(package))
        pd.testing.assert_frame_equal(seen, before)
        assert package["satudata_versi_gudang"] == '{"64.09": 1}'
        public = f"the previous version, complete ({len(seen):,} rows)"

    result = publish_warehouse(target)  # one plain re-run
    figures = converged(target)
    record(
        FaultFigures(
            f"portal killed during a {moment}",
            f"CKAN (pid {killed['pid']}) killed by SIGKILL "
            f"{KILL_AFTER_S} s into satudata_datastore_load; re-run: {result.load_path}, "
            f"{result.rows_sent:,} rows sent",
            public,
            figures["expected"],
            figures["found"],
            figures["duplicated"],
            1,
        )
    )
    assert (figures["found"], figures["duplicated"], figures["differing"]) == (figures["expected"], 0, 0)
    assert figures["versions"] == ('{"64.09": 1}' if moment == "first publication" else '{"64.09": 2}')
    assert not target["anon"].action.package_show(id=target["name"])["private"]
