"""Steps that publish for every regency in one run (the Daftar Data, the compliance scorecard): one regency's
broken file or portal must not keep the other regencies' tables from the public. Each failure is named in the
step's metadata, then the step fails so that the walidata is alerted."""

from collections.abc import Callable

import dagster as dg

from pipelines.catalogue import Regency


def publish_each(
    regencies: list[Regency],
    publish_one: Callable[[Regency], dict[str, str]],
    what: tuple[str, str],
    failed: dict[str, str] | None = None,
) -> dg.MaterializeResult:
    """`publish_one` publishes one regency's tables and returns their URLs by name; `what` names them in
    Bahasa Indonesia and English; `failed` holds what failed before any regency was tried."""
    published, failed = {}, dict(failed or {})
    for regency in regencies:
        try:
            published |= publish_one(regency)
        except Exception as error:  # noqa: BLE001 - reported per regency below, then the step fails
            failed[regency.slug] = str(error).splitlines()[0]
    metadata = {"published": dg.MetadataValue.json(published), "failed": dg.MetadataValue.json(failed)}
    if failed:
        raise dg.Failure(
            f"{what[0]} tidak terbit untuk / {what[1]} not published for: "
            + "; ".join(f"{slug}: {why}" for slug, why in failed.items()),
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)
