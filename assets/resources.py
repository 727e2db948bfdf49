"""Dagster resources: where the pipeline keeps files, which warehouse and which portals it talks to."""

import os
from pathlib import Path

import dagster as dg
import sqlalchemy as sa

from pipelines.publish import Portal
from pipelines.raw import RawArchive
from pipelines.warehouse import create_engine


class StateResource(dg.ConfigurableResource):
    """The folder that holds the raw archive, quarantine and reference cache."""

    root: str

    def archive(self) -> RawArchive:
        return RawArchive(Path(self.root) / "raw")

    @property
    def quarantine_root(self) -> Path:
        return Path(self.root) / "quarantine"

    @property
    def approvals_root(self) -> Path:
        return Path(self.root) / "approvals"

    @property
    def staged_root(self) -> Path:
        """Parsed batches as Parquet files, one folder per regency and dataset."""
        return Path(self.root) / "staged"

    def memo(self, regency: str, dataset: str) -> Path:
        """Where a dataset's source remembers its position (see `pipelines.sources.settle`)."""
        return Path(self.root) / "sources" / regency / dataset

    @property
    def reference_cache(self) -> Path:
        return Path(self.root) / "reference"


# One engine per process and URL: its connection pool serves every step of the process. Keyed by process too,
# as a pool must not cross into a forked worker.
_ENGINES: dict[tuple[int, str], sa.Engine] = {}


class WarehouseResource(dg.ConfigurableResource):
    """Embedded DuckDB by default; a PostgreSQL URL (password from the environment) in production."""

    url: str

    def engine(self) -> sa.Engine:
        key = (os.getpid(), self.url)
        if key not in _ENGINES:
            _ENGINES[key] = create_engine(self.url)
        return _ENGINES[key]


class PortalsResource(dg.ConfigurableResource):
    """Every portal of catalogue/portals.yaml by name: each regency publishes to the one its catalogue names.
    Only the names of the token variables are configuration; a token is read from the environment when a
    step needs it, so it never shows in a run's configuration, a log or the UI."""

    urls: dict[str, str]
    token_envs: dict[str, str]

    def client(self, name: str, token_env: str = "") -> Portal:
        """`token_env`: the variable of the regency's own publishing token (its catalogue's `api_token_env`,
        made by `satudata portal setup`); without one, the portal's."""
        return Portal(self.urls[name], os.environ.get(token_env or self.token_envs[name], ""))
