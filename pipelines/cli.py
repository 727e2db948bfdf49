"""Command line for walidata: list quarantined batches, release or reject one.

    satudata quarantine list
    satudata quarantine release ppu harga-pasar <batch> --by "Nama Walidata" --reason "kode pasar diperbaiki"
"""

import argparse
import getpass
import json
import sys

from pipelines import quarantine, settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="satudata", description="Satu Data pipeline: tools for walidata")
    area = parser.add_subparsers(dest="area", required=True)
    q = area.add_parser("quarantine", help="batch yang ditahan / quarantined batches").add_subparsers(
        dest="action", required=True)
    q.add_parser("list", help="daftar batch karantina / list quarantined batches")
    for decision in quarantine.DECISIONS:
        cmd = q.add_parser(decision, help=f"{decision} a quarantined batch")
        cmd.add_argument("regency")
        cmd.add_argument("dataset")
        cmd.add_argument("batch")
        cmd.add_argument("--by", default=getpass.getuser(), help="walidata yang memutuskan / who decides")
        cmd.add_argument("--reason", required=True, help="alasan / reason")
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main())
