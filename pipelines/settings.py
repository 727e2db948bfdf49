"""Where the project keeps its files and state. Paths come from the environment so tests and
deployments can move them; defaults suit a checkout."""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def state_dir() -> Path:
    """Everything the pipeline writes (raw archive, quarantine, warehouse file, reference cache)."""
    return Path(os.environ.get("SATUDATA_STATE", PROJECT_ROOT / ".state")).resolve()


def catalogue_dir() -> Path:
    return Path(os.environ.get("SATUDATA_CATALOGUE", PROJECT_ROOT / "catalogue")).resolve()


def schemas_dir() -> Path:
    return Path(os.environ.get("SATUDATA_SCHEMAS", PROJECT_ROOT / "schemas")).resolve()


def warehouse_url() -> str:
    """Embedded DuckDB by default; a PostgreSQL URL (with its password) comes from the environment."""
    return os.environ.get("SATUDATA_WAREHOUSE_URL") or f"duckdb:///{state_dir() / 'warehouse.duckdb'}"


def location() -> str:
    """The code location this process serves when a deployment runs several (README: production); empty for
    the single location of workspace.yaml."""
    return os.environ.get("SATUDATA_LOCATION", "")


def executor() -> str:
    """Where a run's steps execute: `in_process`/`multiprocess` (Dagster's defaults on one machine) or `celery`
    (Dagster's distributed executor: workers on a broker, see README: production)."""
    return os.environ.get("SATUDATA_EXECUTOR", "")


# The batch checks' default cap: a check of a 2 GB delivery (29 M rows: the key's uniqueness is a hash
# aggregate) took 2.9 GB uncapped, and spilling past 1 GB keeps it within the 1.5 GB a worker is given.
CHECK_MEMORY = "1GB"


def duckdb_config(default: str | None = None) -> dict:
    """DuckDB settings for the pipeline's own connections (the batch checks and a DuckDB warehouse):
    `SATUDATA_DUCKDB_MEMORY` (e.g. `1GB`) caps DuckDB's memory, else `default` (the checks: CHECK_MEMORY),
    and past it work spills to a folder in the state. With neither, DuckDB may take up to 80% of the
    machine's memory."""
    limit = os.environ.get("SATUDATA_DUCKDB_MEMORY") or default
    if not limit:
        return {}
    return {"memory_limit": limit, "temp_directory": str(state_dir() / "duckdb-spill")}


def private_folder(path: Path) -> Path:
    """A folder only the pipeline's user can read: agency files, quarantine reports and parsed rows may hold
    personal data (a NIK, a phone number) that the standard never publishes."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)
    return path
