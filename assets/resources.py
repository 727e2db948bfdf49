"""Dagster resources: where the pipeline keeps files, which warehouse and which portal it talks to."""

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


class WarehouseResource(dg.ConfigurableResource):
    """Embedded DuckDB by default; a PostgreSQL URL (password from the environment) in production."""
    url: str

    def engine(self) -> sa.Engine:
        return create_engine(self.url)


class PortalResource(dg.ConfigurableResource):
    """A CKAN portal; the API token comes from the environment, never from a file in the repository."""
    url: str
    api_token: str

    def client(self) -> Portal:
        return Portal(self.url, self.api_token)
