"""A full disk named as such. Waiting does not free a disk, so a step that hits one fails at once with the
message `disk_full` gives instead of being retried, and what it was writing is removed, never left
half-written."""

import errno
import shutil

from pipelines.settings import state_dir

FULL = {errno.ENOSPC, errno.EDQUOT}
MESSAGES = ("No space left on device", "database or disk is full")
NEARLY_FULL = 1 << 20


def disk_full(error: BaseException | None) -> str | None:
    """The full disk behind `error` (or behind its causes), explained for a walidata; None for other errors.
    pyarrow, DuckDB and SQLite (the local Dagster instance) say it in their message only, without an errno."""
    while error is not None:
        if (
            (isinstance(error, OSError) and error.errno in FULL)
            or any(m in str(error) for m in MESSAGES)
            or ("disk I/O error" in str(error) and _free_bytes() < NEARLY_FULL)
        ):  # SQLite with no room for a journal
            return _explain(getattr(error, "filename", None))
        error = error.__cause__ or error.__context__
    return None


def _free_bytes() -> int:
    try:
        return shutil.disk_usage(state_dir()).free
    except OSError:
        return 0


def _explain(path: str | None) -> str:
    state = state_dir()
    try:
        usage = shutil.disk_usage(state)
        room = f" ({usage.free / 1e6:,.1f} MB bebas dari / free of {usage.total / 1e6:,.1f} MB)"
    except OSError:
        room = ""
    where = f" saat menulis / writing {path}" if path else ""
    return (
        f"disk penuh / disk full{where}: folder state {state}{room}. Kosongkan ruang disk itu lalu jalankan "
        f"ulang; tidak ada yang diterbitkan setengah / free space on that disk, then run again; nothing was "
        f"half-published"
    )
