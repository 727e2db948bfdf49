"""The local portal profile itself: the project's smoke check of CKAN without Solr (organisations,
datasets, uploads, DataStore, search, private datasets, web pages), run against the real portal."""

import os
import subprocess
import sys

from pipelines import settings


def test_portal_smoke_check(portal_env):
    env = {**os.environ, **portal_env}
    done = subprocess.run(
        [sys.executable, "portal/smoke_test.py"],
        cwd=settings.PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
