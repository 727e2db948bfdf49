"""Operations for the walidata, for real: schedules and sensors built from the catalogue, freshness of
agency deliveries, and alerts received on a real SMTP server and a real webhook on 127.0.0.1."""

import json
import shutil
import socket
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy

import dagster as dg
import pytest
import yaml
from aiosmtpd.controller import Controller

from assets.automation import alert_on_failed_run, alert_on_finished_run, dataset_automation
from assets.definitions import build_definitions
from pipelines.catalogue import load_regencies
from pipelines.raw import RawArchive
from tests.helpers import drop_out_of_regency_batch, market_price_catalogue



class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_inbox():
    with socket.socket() as probe:   # a free loopback port for the test's own SMTP server
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
    folder, drop = market_price_catalogue(tmp_path)
    (folder / "alerts.yaml").write_text(yaml.safe_dump({
        "smtp": {"host": "127.0.0.1", "port": smtp_inbox[1], "from": "satudata@test.local",
                 "to": ["walidata@test.local"]},
        "webhook": {"url": httpserver.url_for("/alerts"), "token_env": "TEST_WEBHOOK_TOKEN"}}))
    monkeypatch.setenv("TEST_WEBHOOK_TOKEN", "rahasia-webhook")
    monkeypatch.setenv("SATUDATA_CATALOGUE", str(folder))
    monkeypatch.setenv("SATUDATA_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'wh.duckdb'}")
    monkeypatch.setenv("CKAN_API_TOKEN", "not-used-by-these-runs")
    if (services_state / "reference").exists():
        shutil.copytree(services_state / "reference", isolated_state / "reference")
    return {"drop": drop, "state": isolated_state}


def test_schedules_follow_frequency_and_regency_clock():
    [regency] = [r for r in load_regencies() if r.slug == "ppu"]
    [market_prices] = [d for d in regency.datasets if d.name == "harga-pasar"]
    defs = dataset_automation(regency, market_prices)
    [schedule] = defs.schedules
    assert (schedule.cron_schedule, schedule.execution_timezone) == ("0 7 * * *", "Asia/Makassar")
    assert schedule.job.name == "ppu_harga_pasar"


def test_file_drop_sensor_waits_for_settled_files_then_runs_once(catalogue):
    [regency] = load_regencies()
    [sensor] = dataset_automation(regency, regency.datasets[0]).sensors
    with dg.DagsterInstance.ephemeral() as instance:
        def tick(cursor):
            context = dg.build_sensor_context(instance=instance, cursor=cursor)
            result = sensor(context)
            return result, context.cursor

        first, cursor = tick(None)
        assert isinstance(first, dg.SkipReason)           # seen once: maybe still uploading
        second, cursor = tick(cursor)
        assert isinstance(second, dg.RunRequest)          # the same on the next tick: settled
        third, cursor = tick(cursor)
        assert isinstance(third, dg.SkipReason)           # nothing new since the run
        (catalogue["drop"] / "harga_pasar_susulan.csv").write_text("Tanggal;Harga (Rp)\n")
        assert isinstance(tick(cursor)[0], dg.SkipReason)
        assert isinstance(tick(tick(cursor)[1])[0], dg.RunRequest)


def run_raw_only(instance) -> dg.ExecuteInProcessResult:
    job = build_definitions().resolve_job_def("satudata_job")
    raw = dg.AssetKey(["ppu", "harga_pasar", "raw"])
    return job.execute_in_process(instance=instance, asset_selection=[raw], raise_on_error=False)


def test_late_agency_is_named_in_ui_and_alerts(catalogue, smtp_inbox, httpserver):
    archive = RawArchive(catalogue["state"] / "raw")
    three_days_ago = (datetime.now(timezone.utc) - timedelta(days=3)).isoformat(timespec="seconds")
    for file in sorted(catalogue["drop"].iterdir()):   # the same files, first seen three days ago
        record = archive.store("ppu", "harga-pasar", file.name, file.read_bytes(), str(file))
        lines = archive.manifest("ppu", "harga-pasar").read_text().splitlines()
        lines[-1] = json.dumps({**json.loads(lines[-1]), "pulled_at": three_days_ago})
        archive.manifest("ppu", "harga-pasar").write_text("\n".join(lines) + "\n")
        assert record.size > 0
    httpserver.expect_request("/alerts", method="POST",
                              headers={"Authorization": "Bearer rahasia-webhook"}).respond_with_data("ok")
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_raw_only(instance)
        assert result.success    # lateness warns, it does not block
        [late] = [c for c in result.get_asset_check_evaluations() if c.check_name == "tepat_waktu"]
        assert not late.passed and late.severity == dg.AssetCheckSeverity.WARN
        # three days since the last new file, one day expected plus six hours of grace: 42 hours late
        assert late.metadata["late_by"].value == "terlambat 42 jam / 42 hours late"
        run = instance.get_run_by_id(result.run_id)
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_finished_run", dagster_instance=instance, dagster_run=run,
            dagster_event=result.get_run_success_event())
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
        job = build_definitions().resolve_job_def("ppu_harga_pasar")
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not result.success
        run = instance.get_run_by_id(result.run_id)
        context = dg.build_run_status_sensor_context(
            sensor_name="alert_on_failed_run", dagster_instance=instance, dagster_run=run,
            dagster_event=result.get_run_failure_event()).for_run_failure()
        alert_on_failed_run(context)
    subjects = sorted(m["Subject"].strip() for m in smtp_inbox[0].messages)
    assert [s.split(":")[0] for s in subjects] == ["[Satu Data] Data dikarantina / batch quarantined",
                                                   "[Satu Data] Run gagal / run failed"]
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
    key = ["ppu", "harga_pasar"]
    warehouse = dg.AssetKey([*key, "warehouse"])
    with dg.DagsterInstance.ephemeral() as instance:
        first = dg.evaluate_automation_conditions(defs=defs, instance=instance)
        # A steward re-runs only the parsing of one dataset (with its checks)...
        job = defs.resolve_job_def("ppu_harga_pasar")
        job.execute_in_process(instance=instance, raise_on_error=False,
                               asset_selection=[dg.AssetKey([*key, "raw"]), dg.AssetKey([*key, "staged"]),
                                                dg.AssetKey(["reference", "kemendagri_regions"]),
                                                dg.AssetKey(["reference", "kemendagri_edition_changes"]),
                                                dg.AssetKey(["reference", "data_induk"])])
        # ...and the next automation tick asks for the warehouse step only if the standard check passed.
        second = dg.evaluate_automation_conditions(defs=defs, instance=instance, cursor=first.cursor)
        requested = {r.key for r in second.results if r.true_subset.size > 0}
        assert (warehouse in requested) is not quarantined
