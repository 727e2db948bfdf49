"""How `python -m assets.run` judges a pass over the catalogue: a run whose only failed steps are blocking
standard checks (a quarantine) is the pipeline doing its job; any other failure is a failure."""

import dagster as dg

from assets.run import CatalogueRun, _report


def _run(check_passes: bool, step_fails: bool = False) -> dg.ExecuteInProcessResult:
    @dg.asset
    def batch():
        if step_fails:
            raise RuntimeError("sumber mati / source down")
        return 1

    @dg.asset_check(asset=batch, name="memenuhi_standar", blocking=True)
    def meets_standard():
        return dg.AssetCheckResult(passed=check_passes)

    @dg.asset(deps=[batch])
    def merged():
        return 2

    job = dg.Definitions(assets=[batch, merged], asset_checks=[meets_standard]).get_implicit_global_asset_job_def()
    return job.execute_in_process(raise_on_error=False)


def test_a_quarantine_is_not_a_failure_but_anything_else_is():
    held, fine, broken = _run(check_passes=False), _run(check_passes=True), _run(check_passes=True, step_fails=True)
    assert not held.success and CatalogueRun([held, fine]).only_quarantined
    assert "BERHASIL, DENGAN KARANTINA / SUCCESS, WITH QUARANTINE" in _report(held)
    assert "gagal / failed" not in _report(held)  # named by its check and report, not as a broken step
    assert not CatalogueRun([held, broken]).only_quarantined
    assert "GAGAL / FAILED" in _report(broken) and "sumber mati / source down" in _report(broken)
