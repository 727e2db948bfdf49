"""Command line for walidata: quarantined batches and the publication workflow.

    satudata quarantine list
    satudata quarantine release ppu harga-pasar <batch> --by "Nama Walidata" --reason "kode pasar diperbaiki"
    satudata approval show ppu harga-pasar
    satudata approval approve ppu harga-pasar --by "Nama Walidata"
    satudata validate kiriman.xlsx --schema harga-pasar/1.0.0 --regency ppu
    satudata validate kiriman.csv --schema draf/schemas/harga-pangan/1.0.0.yaml --regency 32.73
    satudata describe contoh.xlsx [contoh2.csv ...] --name harga-pangan --out draf
    satudata portal setup [--regency ppu] [--new-token]     (the portal administrator, with a sysadmin token)
    satudata permintaan daftar [--status diterima] [--tahun 2026]            (the public's data requests)
    satudata permintaan jawab 12 --status dipenuhi --dataset ppu-harga-pasar  (or --status ditolak --alasan ...)
    satudata epss --regency ppu [--tahun 2026] [--out bukti-epss.xlsx]      (evidence for BPS's EPSS)

Each command imports what it needs when it runs: the self-check must start fast (target 1.5 s), and the
portal client (ckanapi, requests) would cost it more than the check itself.
"""

import argparse
import getpass
import json
import os
import sys
from pathlib import Path

from pipelines import settings
from pipelines.catalogue import CatalogueError, load_portals, load_regencies
from pipelines.standard import SchemaError
from pipelines.stewardship import approval
from pipelines.validation import quarantine


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satudata", description="Satu Data pipeline: tools for walidata")
    area = parser.add_subparsers(dest="area", required=True)
    q = area.add_parser("quarantine", help="batch yang ditahan / quarantined batches").add_subparsers(
        dest="action", required=True
    )
    q.add_parser("list", help="daftar batch karantina / list quarantined batches")
    for decision in quarantine.DECISIONS:
        cmd = q.add_parser(decision, help=f"{decision} a quarantined batch")
        cmd.add_argument("regency")
        cmd.add_argument("dataset")
        cmd.add_argument("batch")
        cmd.add_argument("--by", default=getpass.getuser(), help="walidata yang memutuskan / who decides")
        cmd.add_argument("--reason", required=True, help="alasan / reason")
    a = area.add_parser("approval", help="persetujuan terbit / publication approval").add_subparsers(
        dest="action", required=True
    )
    show = a.add_parser("show", help="status dan riwayat / status and history")
    for cmd in (show, *(a.add_parser(verb, help=f"{verb} the current version") for verb in ("approve", "reject"))):
        cmd.add_argument("regency")
        cmd.add_argument("dataset")
        if cmd is not show:
            cmd.add_argument("--by", default=getpass.getuser(), help="walidata yang memutuskan / who decides")
            cmd.add_argument("--note", default="", help="catatan / note")
    check = area.add_parser("validate", help="periksa berkas sebelum dikirim / check a file before sending it")
    check.add_argument("file", type=Path)
    check.add_argument(
        "--schema",
        required=True,
        help="standar (nama/versi) atau berkasnya / standard (name/version) "
        "or its file, e.g. harga-pasar/1.0.0, draf/1.0.0.yaml",
    )
    check.add_argument(
        "--regency",
        default="",
        help="kabupaten: slug katalog atau kode Kemendagri; kosong: seluruh "
        "Indonesia / catalogue slug or Kemendagri code, e.g. ppu, 35.29; "
        "none: all of Indonesia",
    )
    check.add_argument(
        "--dataset",
        default="",
        help="entri katalog kabupaten itu, bila standarnya dipakai beberapa "
        "dataset (indikator) / the regency's catalogue entry, when "
        "several datasets use the standard (indikator)",
    )
    draft = area.add_parser(
        "describe",
        help="draf standar dan entri katalog dari berkas contoh / draft a standard "
        "and a catalogue entry from sample files",
    )
    draft.add_argument("files", type=Path, nargs="+", help="berkas contoh dari OPD / the agency's sample files")
    draft.add_argument("--name", required=True, help="nama standar, mis. / standard name, e.g. harga-pangan")
    draft.add_argument(
        "--out",
        type=Path,
        required=True,
        help="folder draf / where the drafts go: OUT/schemas/NAME/1.0.0.yaml, OUT/catalogue/NAME.yaml",
    )
    p = area.add_parser("portal", help="penyiapan portal oleh administratornya / the portal administrator's setup")
    setup = p.add_subparsers(dest="action", required=True).add_parser(
        "setup",
        help="organisasi, grup pilar, pengguna penerbit (editor) dan tokennya per kabupaten/kota / "
        "organisations, pillar groups, a publishing user (editor) and its token per regency",
    )
    setup.add_argument(
        "--regency",
        default="",
        help="hanya satu kabupaten/kota (slug) atau target provinsi / only "
        "one regency's slug or a province target's name",
    )
    setup.add_argument(
        "--new-token",
        action="store_true",
        help="ganti token (yang lama dicabut) / replace the token, revoking the earlier ones",
    )
    setup.add_argument(
        "--env-file",
        type=Path,
        help="ke mana token ditulis (mode 600) / where the tokens are "
        "written; default: $SATUDATA_STATE/portal/publishers.env",
    )
    setup.add_argument(
        "--admin-token-env",
        default="CKAN_API_TOKEN",
        help="variabel yang memuat token sysadmin / the variable holding the sysadmin's token",
    )
    portal_options = argparse.ArgumentParser(add_help=False)
    portal_options.add_argument(
        "--portal",
        default=os.environ.get("SATUDATA_PORTAL", "local"),
        help="portal di catalogue/portals.yaml / a portal of catalogue/portals.yaml",
    )
    portal_options.add_argument(
        "--token-env",
        default="",
        help="variabel yang memuat token walidata; bawaan: "
        "api_token_env portal / the variable holding the walidata's token; default: "
        "the portal's api_token_env",
    )
    r = area.add_parser("permintaan", help="permintaan data dari publik / the public's data requests")
    r_action = r.add_subparsers(dest="action", required=True)
    listing = r_action.add_parser("daftar", parents=[portal_options], help="daftar permintaan / list the requests")
    listing.add_argument("--status", choices=("diterima", "diproses", "dipenuhi", "ditolak"))
    listing.add_argument("--tahun", type=int, help="tahun permintaan / the year of the request")
    reply = r_action.add_parser("jawab", parents=[portal_options], help="jawab permintaan / answer a request")
    reply.add_argument("number", type=int, help="nomor permintaan / the request's number")
    reply.add_argument("--status", required=True, choices=("diproses", "dipenuhi", "ditolak"))
    reply.add_argument(
        "--dataset", default="", help="dataset yang memenuhinya (dipenuhi) / the dataset that fulfils it"
    )
    reply.add_argument("--alasan", default="", help="alasan penolakan (ditolak) / why it is refused")
    epss = area.add_parser(
        "epss", help="bukti dukung EPSS dari Daftar Data dan portal / EPSS evidence from the Daftar Data and the portal"
    )
    epss.add_argument("--regency", required=True, help="slug katalog / catalogue slug, e.g. ppu")
    epss.add_argument(
        "--tahun", type=int, help="tahun Daftar Data; bawaan: tahun ini / the Daftar Data's year; default: this year"
    )
    epss.add_argument(
        "--out",
        type=Path,
        help="berkas .xlsx atau .csv; tanpa ini: tabel di layar / an .xlsx or .csv file; without it: a table on screen",
    )
    args = parser.parse_args(argv)
    if args.area == "epss":
        return _epss(args)
    if args.area == "permintaan":
        return _permintaan(args)
    if args.area == "portal":
        return _portal_setup(args)
    if args.area == "validate":
        return _validate(args)
    if args.area == "describe":
        return _describe(args)
    if args.area == "approval":
        return _approval(args)
    root = settings.state_dir() / "quarantine"
    if args.action == "list":
        print(json.dumps(quarantine.list_batches(root), indent=2, ensure_ascii=False))
        return 0
    try:
        record = quarantine.decide(root, args.regency, args.dataset, args.batch, args.action, args.by, args.reason)
    except FileNotFoundError as missing:
        print(missing, file=sys.stderr)
        return 2
    print(json.dumps(record, ensure_ascii=False))
    return 0


def _validate(args) -> int:
    """Exit 0 when the pipeline would accept the file, 1 when it would not, 2 when the check cannot run."""
    from pipelines import selfcheck
    from pipelines.standard.reference import ReferenceError

    if not args.file.is_file():
        print(f"berkas tidak ada / no such file: {args.file}", file=sys.stderr)
        return 2
    try:
        result = selfcheck.check_file(
            args.file, args.schema, args.regency, settings.state_dir() / "reference", args.dataset
        )
    except (SchemaError, ReferenceError, CatalogueError, selfcheck.RegencyError) as error:  # not the file's fault
        print(error, file=sys.stderr)
        return 2
    print(selfcheck.report(result))
    return 0 if result.accepted else 1


def _describe(args) -> int:
    """Writes the drafts, then checks each sample against the drafted standard as `satudata validate` would:
    exit 0 only when the draft accepts its samples."""
    from pipelines import describe, selfcheck
    from pipelines.standard.reference import ReferenceError

    cache = settings.state_dir() / "reference"
    try:
        draft = describe.describe(args.files, args.name, selfcheck.load_regions_cached(cache))
        schema_path, entry_path = describe.write(draft, args.out, settings.catalogue_dir())
        checks = [selfcheck.check_file(path, str(schema_path), "", cache) for path in args.files]
    except (describe.DescribeError, SchemaError, ReferenceError, CatalogueError) as error:
        print(error, file=sys.stderr)
        return 2
    print(f"Draf standar / draft standard:        {schema_path}")
    print(f"Draf entri katalog / catalogue entry: {entry_path}")
    print(
        "\n".join(
            ["Tinjau / review:", *(f"- {note}" for note in draft.notes)]
            if draft.notes
            else ["Tidak ada catatan / no notes."]
        )
    )
    print("\n".join(selfcheck.report(result) for result in checks))
    return 0 if all(result.accepted for result in checks) else 1


def _portal_setup(args) -> int:
    """Prints what it did and the names of the token variables; the tokens go to the env file only."""
    import ckanapi

    from pipelines.publish import PublishError, portal_setup

    try:
        everyone = portal_setup.publishers(load_regencies(), load_portals())
        chosen = [p for p in everyone if args.regency in ("", p.name)]
        if not chosen:
            raise CatalogueError(f"tidak ada di katalog / not in the catalogue: {args.regency}")
        portal_setup.check_token_variables(chosen, everyone, args.admin_token_env)
        env_file = args.env_file or settings.state_dir() / "portal" / "publishers.env"
        report = portal_setup.setup(chosen, os.environ.get(args.admin_token_env, ""), env_file, args.new_token)
    except (CatalogueError, portal_setup.SetupError, PublishError, ckanapi.CKANAPIError) as error:
        print(error, file=sys.stderr)
        return 2
    print("\n".join(report.lines))
    return 0


def _permintaan(args) -> int:
    from pipelines.publish import PublishError
    from pipelines.stewardship import datarequests

    try:
        portal = datarequests.portal(args.portal, args.token_env)
        if args.action == "daftar":
            print(datarequests.table(datarequests.list_requests(portal, args.status or "", args.tahun)))
            return 0
        answered = datarequests.answer(portal, args.number, args.status, args.dataset, args.alasan)
    except (CatalogueError, PublishError, datarequests.RequestError) as error:
        print(error, file=sys.stderr)
        return 2
    print(
        f"{answered['id']}: {answered['status']} {answered['dataset_url'] or answered['reason'] or ''} "
        f"({answered['url']})"
    )
    return 0


def _epss(args) -> int:
    """Exit 2 when the regency, its Daftar Data of the year or the portal is not there, or --out is neither
    .xlsx nor .csv."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from pipelines.publish import Portal, PublishError
    from pipelines.stewardship import epss
    from pipelines.stewardship.daftar_data import daftar_data_of

    if args.out and args.out.suffix.lower() not in epss.FORMATS:
        print(f"{args.out.name}: tulis .xlsx atau .csv / write .xlsx or .csv", file=sys.stderr)
        return 2
    try:
        regency = next((r for r in load_regencies() if r.slug == args.regency), None)
        if regency is None:
            raise CatalogueError(f"tidak ada di katalog / not in the catalogue: {args.regency}")
        year = args.tahun or datetime.now(ZoneInfo(regency.timezone)).year
        daftar = next((d for d in daftar_data_of(regency) if d.year == year), None)
        if daftar is None:
            raise CatalogueError(f"{regency.slug}: tidak ada Daftar Data {year} / no Daftar Data for {year}")
        frame = epss.table(epss.evidence(Portal(load_portals()[regency.portal].url, None), daftar))
    except (CatalogueError, PublishError) as error:
        print(error, file=sys.stderr)
        return 2
    if args.out:
        epss.write(frame, args.out)
    print(f"{args.out}: {len(frame)} angka / figures" if args.out else epss.text(frame))
    return 0


def _approval(args) -> int:
    from pipelines.standard import load_standard

    regency = next((r for r in load_regencies() if r.slug == args.regency), None)
    dataset = next((d for d in regency.datasets if d.name == args.dataset), None) if regency else None
    if dataset is None:
        print(f"tidak ada di katalog / not in the catalogue: {args.regency} {args.dataset}", file=sys.stderr)
        return 2
    ref = load_standard(dataset.schema).ref
    root = settings.state_dir() / "approvals"
    if args.action == "show":
        print(
            json.dumps(
                {
                    "standard": ref,
                    "status": approval.status(root, regency.slug, dataset.name, ref),
                    "history": approval.history(root, regency.slug, dataset.name),
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    decision = {"approve": "approved", "reject": "rejected"}[args.action]
    print(
        json.dumps(
            approval.record(root, regency.slug, dataset.name, ref, decision, args.by, args.note), ensure_ascii=False
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
