"""Publishing to a CKAN portal (the data path's last stage): a dataset with the Satu Data metadata, a typed
DataStore table kept up to the warehouse by change sets, its downloads, dictionary and validation report.

- `dataset.py`: one publication, from the warehouse's change set to the dataset's finishing revision;
- `client.py`: the portal's Action API (timeouts, named failures);
- `load_satudata.py`, `load_api.py`: the two ways rows reach the DataStore (the project's extension, one
  transaction per load or change set; or CKAN's own API in batches);
- `resources.py`: the table, files, links and views beside it, each found by name;
- `rows.py`: rows as the portal takes them (spreadsheet formulas neutralised, CSV, JSON records)."""

from pipelines.publish.client import DEFAULT_TIMEOUT_S, TIMEOUT_ENV, Portal, PublishError
from pipelines.publish.dataset import (
    ALL_DOWNLOADS,
    DOWNLOADS,
    FrameTable,
    PersonalDataError,
    PublishResult,
    Table,
    publish,
)
from pipelines.publish.rows import records, safe_frame, to_csv

__all__ = [
    "ALL_DOWNLOADS",
    "DEFAULT_TIMEOUT_S",
    "DOWNLOADS",
    "TIMEOUT_ENV",
    "FrameTable",
    "PersonalDataError",
    "Portal",
    "PublishError",
    "PublishResult",
    "Table",
    "publish",
    "records",
    "safe_frame",
    "to_csv",
]
