"""Operations for the walidata, for real: schedules and sensors built from the catalogue, freshness of
agency deliveries, alerts received on a real SMTP server and a real webhook on 127.0.0.1, and the backfill
of one month from the command line."""

import json
import os
import shutil
import socket
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa
import yaml
from aiosmtpd.controller import Controller

from assets.automation import (
    REFERENCE_KEYS,
    alert_on_failed_run,
    alert_on_finished_run,
    reference_steps,
    regency_run,
)
from assets.definitions import build_definitions
from assets.reference import DIMENSIONS_KEY, FROM_FILES
from pipelines import settings
from pipelines.catalogue import load_regencies
from pipelines.raw import RawArchive
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue, run_main_job


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_inbox():
    with socket.socket() as probe:  # a free loopback port for the test's own SMTP server
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def catalogue(tmp_path, monkeypatch, isolated_state, services_state, smtp_inbox, httpserver):
    """PPU's catalogue with its own drop folder, alerts to the test's SMTP server and webhook."""
    folder, drop = market_price_catalogue(tmp_path, on_portal=False)
    (folder / "alerts.yaml").write_text(
        yaml.safe_dump(
            {
                "smtp": {
                    "host": "127.0.0.1",
                    "port": smtp_inbox[1],
                    "from": "satudata@test.local",
                    "to": ["walidata@test.local"],
                },
                "webhook": {"url": httpserver.url_for("/alerts"), "token_env": "TEST_WEBHOOK_TOKEN"},
            }
        )
    )
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "rahasia-webhook")
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(folder))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setenv("CKAN_API_TOKEN", "not-used-by-these-runs")
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    return {"drop": drop, "state": isolated_state}


def test_schedules_follow_frequency_source_kind_and_regency_clock(isolated_state):
    defs = build_definitions()
    regencies = load_regencies()
    zones = {r.timezone for r in regencies}
    names = {s.name for s in defs.schedules}
    assert {"harian_wita", "kepatuhan_opd_harian"} <= names and zones == {"Asia/Makassar"}
    assert len(names) <= 8  # in proportion to frequencies and time zones, not to regencies x datasets
    daily = defs.resolve_schedule_def("harian_wita")
    assert (daily.cron_schedule, daily.execution_timezone) == ("0 7 * * *", "Asia/Makassar")
    with dg.DagsterInstance.get() as instance:  # the test's DAGSTER_HOME: a schedule reads it, as the daemon's does
        requests = daily.evaluate_tick(
            dg.build_schedule_context(instance=instance, repository_def=defs.get_repository_def())
        ).run_requests
    kinds = {(r.slug, d.name.replace("-", "_")): d.source.kind for r in regencies for d in r.datasets}
    assert requests
    for request in requests:  # one run per regency partition, over the sources that must be asked
        slug = request.partition_key
        asked = {key.path[0] for key in request.asset_selection if key.path[-1] == "raw"}
        assert asked and request.tags["regency"] == slug
        # A file drop is the sensor's: with nothing late in this fresh state, no schedule runs it.
        assert all(kinds[(slug, name)] != "file_drop" for name in asked)


def test_file_drop_sensor_waits_for_settled_files_then_runs_once(catalogue):
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("berkas_masuk")
    with dg.DagsterInstance.ephemeral() as instance:

        def tick(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs)
            result = sensor.evaluate_tick(context)
            return result, result.cursor

        first, cursor = tick(None)
        assert not first.run_requests  # seen once: maybe still uploading
        second, cursor = tick(cursor)
        [request] = second.run_requests  # the same on the next tick: settled
        assert request.partition_key == "ppu"
        assert {k.to_user_string() for k in request.asset_selection} >= {"harga_pasar/raw", "harga_pasar/portal"}
        third, cursor = tick(cursor)
        assert not third.run_requests  # nothing new since the run
        (catalogue["drop"] / "harga_pasar_susulan.csv").write_text("Tanggal;Harga (Rp)\n")
        assert not tick(cursor)[0].run_requests
        assert tick(tick(cursor)[1])[0].run_requests


def test_a_late_file_drop_gets_one_run_per_lateness_not_one_a_day(catalogue):
    defs = build_definitions()
    sensor = defs.resolve_sensor_def("opd_terlambat")
    with dg.DagsterInstance.ephemeral() as instance:

        def tick(cursor):
            return sensor.evaluate_tick(dg.build_sensor_context(instance=instance, cursor=cursor, definitions=defs))

        first = tick(None)  # nothing ever delivered: late, reported once
        [request] = first.run_requests
        assert request.partition_key == "ppu" and "harga_pasar/raw" in {
            k.to_user_string() for k in request.asset_selection
        }
        assert not tick(first.cursor).run_requests  # the same lateness is not reported again
        # A delivery arrives, three days old by now: a new lateness, reported once more.
        archive = RawArchive(catalogue["state"] / "raw")
        file = sorted(catalogue["drop"].iterdir())[0]
        archive.store("ppu", "harga-pasar", file.name, file.read_bytes(), str(file))
        lines = archive.manifest("ppu", "harga-pasar").read_text().splitlines()
        three_days_ago = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
        lines[-1] = json.dumps({**json.loads(lines[-1]), "pulled_at": three_days_ago})
        archive.manifest("ppu", "harga-pasar").write_text("\n".join(lines) + "\n")
        assert len(tick(first.cursor).run_requests) == 1


def run_raw_only(instance) -> dg.ExecuteInProcessResult:
    job = build_definitions().resolve_job_def("satudata_job")
    raw = dg.AssetKey(["harga_pasar", "raw"])
    return job.execute_in_process(instance=instance, asset_selection=[raw], partition_key="ppu", raise_on_error=False)


def test_an_agency_that_sends_nothing_is_still_judged_late(catalogue):
    """The run the late-agency sensor starts brings nothing new (the drop folder is empty): its raw step yields
    no output, and the lateness check must still report, since that is exactly when an agency is late."""
    archive = RawArchive(catalogue["state"] / "raw")
    for file in sorted(catalogue["drop"].iterdir()):  # delivered three days ago, and nothing since
        archive.store("ppu", "harga-pasar", file.name, file.read_bytes(), str(file))
        file.unlink()
    manifest = archive.manifest("ppu", "harga-pasar")
    three_days_ago = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
    manifest.write_text(
        "".join(
            json.dumps({**json.loads(line), "pulled_at": three_days_ago}) + "\n"
            for line in manifest.read_text().splitlines()
        )
    )
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_raw_only(instance)
        assert result.success and not result.get_asset_materialization_events()  # nothing new
        [late] = [c for c in result.get_asset_check_evaluations() if c.check_name == "tepat_waktu"]
        assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
        assert late.metadata["late_by"].value == "terlambat 42 jam / 42 hours late"


def test_late_agency_is_named_in_ui_and_alerts(catalogue, smtp_inbox, httpserver):
    archive = RawArchive(catalogue["state"] / "raw")
    three_days_ago = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
    for file in sorted(catalogue["drop"].iterdir()):  # the same files, first seen three days ago
        record = archive.store("ppu", "harga-pasar", file.name, file.read_bytes(), str(file))
        lines = archive.manifest("ppu", "harga-pasar").read_text().splitlines()
        lines[-1] = json.dumps({**json.loads(lines[-1]), "pulled_at": three_days_ago})
        archive.manifest("ppu", "harga-pasar").write_text("\n".join(lines) + "\n")
        assert record.size > 0
    httpserver.expect_request(
        "/alerts", method="POST", headers={"Authorization": "Bearer rahasia-webhook"}
    ).respond_with_data("ok")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_raw_only(instance)
        assert result.success  # lateness warns, it does not block
        [late] = [c for c in result.get_asset_check_evaluations() if c.check_name == "tepat_waktu"]
        assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
        # three days since the last new file, one day expected plus six hours of grace: 42 hours late
        assert late.metadata["late_by"].value == "terlambat 42 jam / 42 hours late"
        run = instance.get_run_by_id(result.run_id)
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_finished_run",
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=result.get_run_success_event(),
        )
        alert_on_finished_run(context)
    [mail] = smtp_inbox[0].messages
    assert "Dinas Perdagangan Kabupaten Penajam Paser Utara terlambat" in mail["Subject"]
    assert "harga-pasar" in mail["Subject"]
    [(request, _)] = httpserver.log
    payload = request.get_json()
    assert payload["kind"] == "late" and payload["details"]["dataset"] == "harga-pasar"


def test_quarantine_and_failed_run_alerts(catalogue, smtp_inbox, httpserver):
    drop_out_of_regency_batch(catalogue["drop"])
    httpserver.expect_request("/alerts", method="POST").respond_with_data("ok")
    with dg.DagsterInstance.ephemeral() as instance:
        [result] = run_main_job(instance).results
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_failed_run",
            dagster_instance=instance,
            dagster_run=run,
            dagster_event=result.get_run_failure_event(),
        ).for_run_failure()
        alert_on_failed_run(context)
    subjects = sorted(m["Subject"].strip() for m in smtp_inbox[0].messages)
    assert [s.split(":")[0] for s in subjects] == [
        "[Satu Data] Data dikarantina / batch quarantined",
        "[Satu Data] Run gagal / run failed",
    ]
    kinds = sorted(r.get_json()["kind"] for r, _ in httpserver.log)
    assert kinds == ["quarantined", "run_failed"]
    quarantined = next(r.get_json() for r, _ in httpserver.log if r.get_json()["kind"] == "quarantined")
    # the district outside the regency, and so not the district Data Induk lists for the market
    assert quarantined["details"]["issues"] == 2 and quarantined["details"]["report"].endswith("report.html")


@pytest.mark.parametrize("quarantined", [False, True])
def test_downstream_steps_follow_a_rerun_but_never_past_quarantine(catalogue, quarantined):
    if quarantined:
        drop_out_of_regency_batch(catalogue["drop"])
    defs = build_definitions()
    warehouse = dg.AssetKey(["harga_pasar", "warehouse"])
    with dg.DagsterInstance.ephemeral() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        # A steward re-runs only the parsing of one regency's dataset (with its checks)...
        defs.resolve_job_def("satudata_job").execute_in_process(
            instance=instance,
            raise_on_error=False,
            partition_key="ppu",
            asset_selection=[
                dg.AssetKey(["harga_pasar", "raw"]),
                dg.AssetKey(["harga_pasar", "staged"]),
                *[k for k in REFERENCE_KEYS if k.path[0] == "reference"],
            ],
        )
        # ...and the next automation tick asks for that regency's warehouse step only if the check passed.
        second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        requested = {r.key: r.true_subset for r in second.results if r.true_subset.size > 0}
        assert (warehouse in requested) is not quarantined
        if not quarantined:
            assert list(requested[warehouse].get_internal_subset_value().get_partition_keys()) == ["ppu"]


def warehouse_rows(url: str) -> pd.DataFrame:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        frame = pd.read_sql("SELECT * FROM core.harga_pasar", connection)
    engine.dispose()
    return frame.sort_values(["kode_kabupaten", "tanggal", "kode_pasar", "komoditas"]).reset_index(drop=True)


@pytest.mark.slow
def test_one_month_backfill_from_the_command_line_leaves_other_months_and_regencies_alone(catalogue, tmp_path):
    # September's prices arrive beside October's: the same market rows, a month earlier.
    october = next(catalogue["drop"].glob("*.csv")).read_text(encoding="utf-8")
    september = october.replace("Oktober 2026", "September 2026").replace("/10/2026", "/09/2026")
    (catalogue["drop"] / "harga_pasar_2026-09.csv").write_text(september, encoding="utf-8")
    url = os.environ["SATUDATA_WAREHOUSE_URL"]
    with dg.DagsterInstance.get() as instance:  # the test's DAGSTER_HOME: the backfill reads its stored batch
        regular = (
            build_definitions()
            .resolve_job_def("satudata_job")
            .execute_in_process(
                instance=instance,
                partition_key="ppu",
                asset_selection=[dg.AssetKey(["harga_pasar", step]) for step in ("raw", "staged", "warehouse")]
                + list(REFERENCE_KEYS),
            )
        )
    assert regular.success
    full = warehouse_rows(url)
    assert set(pd.to_datetime(full["tanggal"]).dt.strftime("%Y-%m")) == {"2026-09", "2026-10"}  # one run, both

    # October's rows are lost in the warehouse; a September price was corrected by hand; another
    # regency's rows share the table.
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO core.harga_pasar SELECT * REPLACE ('64.01' AS kode_kabupaten) "
            "FROM core.harga_pasar WHERE kode_kabupaten = '64.09'"
        )
        connection.exec_driver_sql(
            "DELETE FROM core.harga_pasar WHERE kode_kabupaten = '64.09' AND tanggal >= DATE '2026-10-01'"
        )
        connection.exec_driver_sql(
            "UPDATE core.harga_pasar SET harga = 1 WHERE kode_kabupaten = '64.09' AND tanggal = DATE '2026-09-01'"
        )
    engine.dispose()
    before = warehouse_rows(url)

    # The walidata re-runs PPU's October: parse and check the stored batch again, merge October only.
    env = {**os.environ, "SATUDATA_STATE": str(catalogue["state"])}
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dagster")),
            "asset",
            "materialize",
            "-m",
            "assets.definitions",
            "--select",
            "harga_pasar/staged,harga_pasar/warehouse",
            "--partition",
            "ppu",
            "--config-json",
            json.dumps({"ops": {"harga_pasar__warehouse": {"config": {"bulan": "2026-10"}}}}),
        ],
        cwd=settings.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]

    after = warehouse_rows(url)
    is_ppu_october = (after["kode_kabupaten"] == "64.09") & (pd.to_datetime(after["tanggal"]) >= "2026-10-01")
    restored = full[(full["kode_kabupaten"] == "64.09") & (pd.to_datetime(full["tanggal"]) >= "2026-10-01")]
    pd.testing.assert_frame_equal(
        after[is_ppu_october].drop(columns=["_run_id", "_loaded_at", "_version"]).reset_index(drop=True),
        restored.drop(columns=["_run_id", "_loaded_at", "_version"]).reset_index(drop=True),
    )
    # Written again by a new warehouse version, so the portal's next change set carries them back.
    assert set(after[is_ppu_october]["_version"]) == {full["_version"].max() + 1}
    # Every other row, the hand correction of September and the other regency included, is as it was.
    pd.testing.assert_frame_equal(after[~is_ppu_october].reset_index(drop=True), before)
    with dg.DagsterInstance.get() as instance:
        [backfill] = [r for r in instance.get_runs() if r.run_id != regular.run_id]
        assert backfill.status == dg.DagsterRunStatus.SUCCESS
        records = instance.fetch_materializations(dg.AssetKey(["harga_pasar", "warehouse"]), limit=1000).records
        [merged] = [r for r in records if r.run_id == backfill.run_id]
        assert merged.partition_key == "ppu" and merged.asset_materialization.metadata["months"].value == "2026-10"
        [check] = [
            r.dagster_event.event_specific_data
            for r in instance.all_logs(backfill.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION)
        ]
        assert (check.check_name, check.passed) == ("memenuhi_standar", True)  # checked again before merging


def test_a_month_backfill_never_merges_a_quarantined_batch(catalogue):
    drop_out_of_regency_batch(catalogue["drop"])
    with dg.DagsterInstance.get() as instance:
        assert not run_main_job(instance).success
        # A walidata re-runs only October's warehouse step: the standard check is not part of that run.
        backfill = (
            build_definitions()
            .resolve_job_def("satudata_job")
            .execute_in_process(
                instance=instance,
                raise_on_error=False,
                partition_key="ppu",
                asset_selection=[dg.AssetKey(["harga_pasar", "warehouse"])],
                run_config={"ops": {"harga_pasar__warehouse": {"config": {"bulan": "2026-10"}}}},
            )
        )
    assert not backfill.success
    [failure] = backfill.get_step_failure_events()
    assert "dikarantina" in failure.event_specific_data.error.message
    assert not backfill.get_asset_materialization_events()


def test_a_run_reads_the_stored_reference_data_until_the_files_it_is_made_from_change(catalogue, tmp_path):
    """Region codes, their edition changes and the Data Induk are made again only when the catalogue or the code
    reading it changed: every other regency run checks its delivery against their stored output."""
    job = build_definitions().resolve_job_def("satudata_job")
    chain = [dg.AssetKey(["harga_pasar", step]) for step in ("raw", "staged", "warehouse")]

    def run(instance: dg.DagsterInstance) -> set[dg.AssetKey]:
        request = regency_run("ppu", [], reference_steps(instance))
        done = job.execute_in_process(
            instance=instance, partition_key="ppu", asset_selection=chain + list(request.asset_selection)
        )
        assert done.success
        return {e.asset_key for e in done.get_asset_materialization_events()}

    with dg.DagsterInstance.get() as instance:
        assert set(run(instance)) >= {*chain, *FROM_FILES, DIMENSIONS_KEY}
        # A new month arrives: checked and merged against the stored region table and Data Induk.
        october = next(catalogue["drop"].glob("*.csv")).read_text(encoding="utf-8")
        september = october.replace("Oktober 2026", "September 2026").replace("/10/2026", "/09/2026")
        (catalogue["drop"] / "harga_pasar_2026-09.csv").write_text(september, encoding="utf-8")
        assert run(instance) == {*chain, DIMENSIONS_KEY}
        # The walidata adds a market to the Data Induk: the next run makes the reference data again.
        markets = Path(os.environ["SATUDATA_CATALOGUE"]) / "data-induk" / "ppu-pasar.csv"
        markets.write_text(markets.read_text(encoding="utf-8") + "PNJ-99,Pasar Baru,64.09.01\n", encoding="utf-8")
        assert set(regency_run("ppu", [], reference_steps(instance)).asset_selection) == {*FROM_FILES, DIMENSIONS_KEY}
