"""The build's self-test: the hidden ``fieldapp selftest`` command.

It belongs to the build, not to any feature: a frozen (PyInstaller) or installed program runs it to
prove that the files it carries beside its code are found. It opens the store (running every
migration), loads every checklist, makes sure a unit exists and prints a blank form with the
bundled font, then prints a JSON report. tests/frozen/test_frozen.py runs it in the built program
and docs/windows-build.md on a Windows build; build_installer.spec bundles this module with the
rest of ``fieldapp`` (the command line registers it with its command groups,
``fieldapp.cli.app.COMMAND_GROUPS``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from fieldapp import __version__, logs, paths
from fieldapp.cli.common import EXIT_INVALID, EXIT_OK


def cmd_selftest(args: argparse.Namespace) -> int:
    """Open the store, load every checklist, make sure a unit exists and print a PDF."""
    import json
    import tempfile

    from sqlalchemy import select

    from fieldapp.reports.blank import write_blank
    from fieldapp.storage import db
    from fieldapp.storage.models import Unit
    from fieldapp.store import Store

    out_dir = Path(args.out) if args.out else paths.data_dir(args.data_dir)
    report: dict[str, Any] = {"version": __version__, "frozen": bool(getattr(sys, "frozen", False))}
    with Store.open(args.data_dir, create=True) as store:
        report["data_dir"] = str(store.folder)
        report["schema"] = db.current_revision(store.engine)
        report["checklists"] = [
            f"{e.checklist.id}@{e.checklist.version}" for e in store.library.all()
        ]
        report["checklist_problems"] = [str(p) for p in store.library.problems]
        with store.read() as session:
            code = session.scalar(select(Unit.credit_code).order_by(Unit.id).limit(1))
        if code is None:
            from fieldapp.imports.units import import_units
            from fieldapp.services import demo

            with tempfile.TemporaryDirectory() as tmp, store.session() as session:
                csv = demo.write_csv(Path(tmp) / "selftest.csv", 3, seed=7)
                import_units(session, csv, actor="自检")
            with store.read() as session:
                code = session.scalar(select(Unit.credit_code).order_by(Unit.id).limit(1))
        assert code is not None
        pdf = write_blank(store, code, out_dir / "selftest.pdf")
        report["unit"] = code
        report["pdf"] = str(pdf)
        report["pdf_bytes"] = pdf.stat().st_size
    report["log"] = str(logs.current_path() or logs.log_path(Path(report["data_dir"])))
    json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    ok = report["checklists"] and not report["checklist_problems"] and report["pdf_bytes"] > 0
    return EXIT_OK if ok else EXIT_INVALID


def register(sub: Any) -> None:
    # Not listed in the help: a smoke test of an installed or frozen build.
    p = sub.add_parser("selftest")
    p.add_argument("--out", metavar="DIR", help="自检 PDF 的输出文件夹（默认数据目录）")
    p.set_defaults(func=cmd_selftest, no_store=True)
