"""The ``fieldapp-server`` command: with no subcommand it serves the API with uvicorn.

Subcommands work on the same data folder and database as the server: accounts (``users``),
review, devices, conflicts, stats, importing an offline bundle and publishing the county's
reference data. Exit codes: 0 done, 1 refused (the message says why), 2 usage.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from fieldapp import __version__
from fieldapp.textout import print_json

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _common(parser: argparse.ArgumentParser, default: Any) -> None:
    parser.add_argument(
        "--data-dir",
        default=default,
        help="服务器数据目录（默认为系统用户数据目录，或环境变量 FIELDAPP_SERVER_DATA_DIR）",
    )
    parser.add_argument(
        "--database-url",
        default=default,
        help="数据库地址，如 postgresql+psycopg://user@host/db（默认为数据目录中的 SQLite；"
        "或环境变量 FIELDAPP_SERVER_DATABASE_URL）",
    )


def _workers(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"「{value}」不是 1 至 64 之间的整数")
    return int(value)


def _megabytes(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 1024 * 1024:
        raise argparse.ArgumentTypeError(f"「{value}」不是 1 至 1048576 之间的整数（MB）")
    return int(value)


def _roles() -> dict[str, str]:
    from fieldapp.domain.events import Role

    return {role.value: role.label for role in Role}


def _role_help() -> str:
    return "角色：" + "、".join(f"{code}（{label}）" for code, label in _roles().items())


def _statuses() -> dict[str, str]:
    from fieldapp.domain.review import ReviewStatus

    return {status.value: status.label for status in ReviewStatus}


def _status_help() -> str:
    return "审核状态：" + "、".join(f"{code}（{label}）" for code, label in _statuses().items())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldapp-server", description="放心消费单位评价县级服务器"
    )
    parser.add_argument("--version", action="version", version=f"fieldapp-server {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, default=8765, help="端口（默认 8765）")
    parser.add_argument("--ssl-certfile", help="TLS 证书文件")
    parser.add_argument("--ssl-keyfile", help="TLS 私钥文件")
    parser.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="工作进程数（默认 1）：多个进程共用同一数据库和数据目录，进程内不保存任何状态",
    )
    parser.add_argument(
        "--max-pending-mb",
        type=_megabytes,
        metavar="MB",
        help="每个账号已上传但尚未随评价提交的照片总量上限（默认 2048 MB）",
    )
    _common(parser, None)
    common = argparse.ArgumentParser(add_help=False)
    _common(common, argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", metavar="命令")

    users = sub.add_parser("users", help="账号：新增、列出、注销").add_subparsers(
        dest="action", metavar="操作", required=True
    )
    p = users.add_parser("add", parents=[common], help="新增账号（最后一行输出令牌，只显示一次）")
    p.add_argument("--name", required=True, help="姓名")
    p.add_argument("--station", required=True, help="所属所（分局），县局账号填县局")
    p.add_argument("--role", required=True, choices=list(_roles()), help=_role_help())
    p.set_defaults(func=cmd_users_add)
    p = users.add_parser("list", parents=[common], help="列出账号")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_users_list)
    p = users.add_parser("revoke", parents=[common], help="注销账号的令牌")
    p.add_argument("id", type=int, metavar="ID")
    p.set_defaults(func=cmd_users_revoke)
    p = users.add_parser(
        "passwd",
        parents=[common],
        help="设置或重设网页控制台的登录密码（输入两次；不改变设备令牌）",
    )
    p.add_argument("name", metavar="姓名", help="账号的姓名")
    p.set_defaults(func=cmd_users_passwd)

    review = sub.add_parser("review", help="审核收到的评价").add_subparsers(
        dest="action", metavar="操作", required=True
    )
    p = review.add_parser("list", parents=[common], help="列出收到的评价")
    p.add_argument("--status", choices=list(_statuses()), help=_status_help())
    p.add_argument("--station", help="只看某个所（分局）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_review_list)
    for action, label in (("accept", "接收"), ("return", "退回（须写原因）")):
        p = review.add_parser(action, parents=[common], help=f"{label}一份评价")
        p.add_argument("uuid", metavar="UUID")
        p.add_argument("--comment", default="", help="审核意见（退回时必填）")
        p.add_argument("--by", default="县局", help="审核人（记录在评价上）")
        p.set_defaults(func=cmd_review, status="accepted" if action == "accept" else "returned")

    p = sub.add_parser("devices", parents=[common], help="各设备及其未同步的评价")
    p.add_argument("--station", help="只看某个所（分局）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_devices)
    p = sub.add_parser("conflicts", parents=[common], help="待处理的冲突")
    p.add_argument("--station", help="只看某个所（分局）")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_conflicts)
    p = sub.add_parser("stats", parents=[common], help="单位、评价、照片、冲突、设备数")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_stats)
    maintenance = sub.add_parser("maintenance", help="维护").add_subparsers(
        dest="action", metavar="操作", required=True
    )
    p = maintenance.add_parser(
        "sweep",
        parents=[common],
        help="删除一天以上没有任何评价引用的照片和签名文件（中断的上传留下的）",
    )
    p.set_defaults(func=cmd_sweep)
    p = sub.add_parser("import", parents=[common], help="导入离线同步数据包（ZIP）")
    p.add_argument("bundle", metavar="BUNDLE.zip")
    p.add_argument("--account", type=int, help="记在哪个账号名下（默认按数据包中的检查人员）")
    p.set_defaults(func=cmd_import)
    p = sub.add_parser("assign", parents=[common], help="把单位分派给检查人员（随下次同步下发）")
    p.add_argument("--unit", required=True, metavar="CODE", help="统一社会信用代码")
    p.add_argument("--inspector", required=True, help="检查人员姓名")
    p.add_argument("--year", type=int, required=True, help="年度")
    p.set_defaults(func=cmd_assign)
    p = sub.add_parser(
        "publish", parents=[common], help="从县局桌面端数据目录发布单位、任务表、检查表"
    )
    p.add_argument("--from-store", required=True, metavar="DIR", help="fieldapp 数据目录")
    p.set_defaults(func=cmd_publish)
    return parser


class _Env:
    """The opened database and blob store for a subcommand."""

    def __init__(self, args: argparse.Namespace) -> None:
        from fieldapp.server.blobs import BlobStore
        from fieldapp.server.config import ServerConfig
        from fieldapp.server.db import Database

        self.config = ServerConfig.resolve(args.data_dir, args.database_url)
        self.db = Database(self.config.database_url)
        self.blobs = BlobStore(self.config.blob_dir, self.config.tmp_dir)


def _county(name: str = "县局") -> Any:
    from fieldapp.domain.events import Role
    from fieldapp.server.accounts import Caller

    return Caller(0, name, "", Role.COUNTY)


def cmd_users_add(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import accounts

    with env.db.session() as session:
        account, token = accounts.add_user(session, args.name, args.station, args.role)
        print(
            f"已新增账号 {account.id}：{account.name}（{account.station}，"
            f"{account.role.label}）。令牌只显示这一次，请当面交给本人："
        )
    print(token)
    return EXIT_OK


def cmd_users_list(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import accounts

    with env.db.session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": a.id,
                "name": a.name,
                "station": a.station,
                "role": a.role.value,
                "created_at": a.created_at.isoformat(),
                "revoked": a.revoked_at is not None,
            }
            for a in accounts.list_users(session)
        ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            flag = "（已注销）" if r["revoked"] else ""
            label = accounts.ROLE_LABELS[accounts.parse_role(r["role"])]
            print(f"{r['id']}\t{r['name']}\t{r['station']}\t{label}{flag}")
    return EXIT_OK


def _read_password_twice() -> tuple[str, str]:
    """Two entries of the new password: prompted without echo on a terminal, else the first two
    lines of standard input (for scripts: ``printf 'pw\\npw\\n' | fieldapp-server users passwd 张三``)."""
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass("新密码："), getpass.getpass("再输入一次：")
    lines = sys.stdin.read().splitlines()
    lines += ["", ""]
    return lines[0], lines[1]


def cmd_users_passwd(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server.accounts import Invalid
    from fieldapp.server.models import utc_now
    from fieldapp.server.web import signin

    first, second = _read_password_twice()
    if first != second:
        raise Invalid("两次输入的密码不一致，未修改；请重新运行命令")
    with env.db.session() as session:
        account = signin.active_account(session, args.name)
        signin.set_password(session, account, first, utc_now())
        print(
            f"已为账号 {account.id}：{account.name}（{account.station}，{account.role.label}）"
            "设置网页控制台密码；该账号已登录的浏览器需重新登录，设备令牌不变。"
        )
    return EXIT_OK


def cmd_users_revoke(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import accounts

    with env.db.session() as session:
        account = accounts.revoke(session, args.id)
        print(f"已注销账号 {account.id}（{account.name}）的令牌")
    return EXIT_OK


def cmd_review_list(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import review

    with env.db.session() as session:
        rows = review.received(session, _county(), args.status, args.station)
    if args.json:
        print_json([r.model_dump(mode="json") for r in rows])
        return EXIT_OK
    for r in rows:
        skew = " 时钟可疑" if r.clock_skewed else ""
        print(
            f"{r.uuid}\t{r.station}\t{r.unit_name}（{r.unit_credit_code}）\t{r.inspector}\t"
            f"{r.review.status.label}{skew}"
        )
    print(f"共 {len(rows)} 份")
    return EXIT_OK


def cmd_review(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import review

    with env.db.session() as session:
        result = review.review(session, _county(args.by), args.uuid, args.status, args.comment)
    print(f"评价 {result.evaluation_uuid}：{result.status.label}")
    return EXIT_OK


def cmd_devices(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import review

    with env.db.session() as session:
        rows = review.devices(session, _county(), args.station)
    if args.json:
        print_json([r.model_dump(mode="json") for r in rows])
        return EXIT_OK
    for r in rows:
        last = r.last_sync_at.isoformat(timespec="minutes") if r.last_sync_at else "从未"
        print(f"{r.station}\t{r.account}\t{r.device_id}\t未同步 {r.unsynced} 份\t上次同步 {last}")
    stranded = sum(r.unsynced for r in rows)
    print(f"共 {len(rows)} 台设备，尚未到达服务器的评价 {stranded} 份")
    return EXIT_OK


def cmd_conflicts(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import review

    with env.db.session() as session:
        rows = [
            {
                "id": c.id,
                "kind": c.kind,
                "subject": c.subject,
                "station": c.station,
                "message": c.message,
            }
            for c in review.conflicts(session, _county(), args.station)
        ]
    if args.json:
        print_json(rows)
    else:
        for r in rows:
            print(f"{r['id']}\t{r['station']}\t{r['message']}")
        print(f"共 {len(rows)} 条待处理冲突")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import review

    with env.db.session() as session:
        stats = review.stats(session)
    if args.json:
        print_json(stats.model_dump(mode="json"))
    else:
        print(
            f"单位 {stats.units}，评价 {stats.evaluations}，照片和签名 {stats.blobs} 个"
            f"（{stats.blob_bytes / 1_048_576:.1f} MB），待处理冲突 {stats.conflicts}，"
            f"设备 {stats.devices}，账号 {stats.accounts}"
        )
    return EXIT_OK


def cmd_sweep(_args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server import maintenance
    from fieldapp.server.models import utc_now

    swept = maintenance.sweep(env.db, env.blobs, utc_now())
    print(
        f"已删除 {swept.files} 个没有评价引用的文件（{swept.bytes / 1_048_576:.1f} MB），"
        f"中断的上传 {swept.leftovers} 个"
    )
    return EXIT_OK


def cmd_import(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server.bundles import import_bundle

    receipts = import_bundle(
        env.db, env.blobs, Path(args.bundle), args.account, env.config.max_blob_bytes
    )
    accepted = sum(len(r.accepted) for r in receipts)
    conflicts = [c.message for r in receipts for c in r.conflicts]
    print(f"已导入 {args.bundle}：{len(receipts)} 批，评价 {accepted} 份，冲突 {len(conflicts)} 条")
    for message in conflicts:
        print(f"冲突：{message}")
    return EXIT_OK


def cmd_assign(args: argparse.Namespace, env: _Env) -> int:
    from sqlalchemy import select

    from fieldapp.server import models
    from fieldapp.server.accounts import Missing
    from fieldapp.server.reference import assign

    with env.db.session() as session:
        unit = session.scalar(
            select(models.Unit).where(models.Unit.credit_code == args.unit.strip().upper())
        )
        if unit is None:
            raise Missing(f"服务器上没有信用代码为 {args.unit} 的单位；请先用 publish 发布单位")
        assign(session, unit.uuid, args.inspector.strip(), args.year)
        print(f"已把「{unit.name}」（{unit.station}）分派给 {args.inspector}（{args.year} 年）")
    return EXIT_OK


def check_source_store(folder: Path) -> None:
    """Refuse a ``--from-store`` folder that is not a fieldapp store at this version's schema.

    It is opened read-only, so a wrong path creates nothing and an older store is not migrated
    here: the message says to open it with the fieldapp window first.
    """
    from fieldapp.store import Store, StoreMissing

    try:
        with Store.open(folder, readonly=True):
            pass
    except StoreMissing as exc:
        raise StoreMissing(
            f"--from-store {folder}：{exc}；它应是县局 fieldapp 桌面端的数据目录"
            "（其中有 fieldapp.sqlite3，在窗口的 帮助 → 关于 中可以看到）",
            exc.folder,
        ) from None


def cmd_publish(args: argparse.Namespace, env: _Env) -> int:
    from fieldapp.server.reference import publish_store

    folder = Path(args.from_store)
    check_source_store(folder)
    with env.db.session() as session:
        counts = publish_store(session, folder)
    print(
        f"已发布：单位 {counts['units']} 家有变化，任务表 {counts['targets']} 项，"
        f"检查表 {counts['checklists']} 个版本"
    )
    if counts["conflicts"]:
        print(
            f"有 {counts['conflicts']} 家单位的历史与服务器上的记录接不上，未发布；"
            "请用 fieldapp-server conflicts 查看，核对后再发布"
        )
    return EXIT_OK


def serve(args: argparse.Namespace) -> int:
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        print(
            "fieldapp-server: 用法错误：--ssl-certfile 和 --ssl-keyfile 要同时给出", file=sys.stderr
        )
        return EXIT_USAGE
    try:
        import uvicorn

        from fieldapp.server.app import create_app
        from fieldapp.server.config import (
            DATA_DIR_ENV,
            DATABASE_URL_ENV,
            MAX_PENDING_ENV,
            ServerConfig,
        )
        from fieldapp.server.db import Database
    except ImportError as exc:
        print(
            f"fieldapp-server 需要服务器组件（{exc.name}）。请安装：pip install 'fieldapp[server]'",
            file=sys.stderr,
        )
        return EXIT_INVALID
    config = ServerConfig.resolve(args.data_dir, args.database_url, args.max_pending_mb)
    options: dict[str, Any] = {
        "host": args.host,
        "port": args.port,
        "ssl_certfile": args.ssl_certfile,
        "ssl_keyfile": args.ssl_keyfile,
    }
    from fieldapp.server import warm

    if args.workers == 1:
        app = create_app(config)
        warm.start(config.database_url)
        uvicorn.run(app, **options)
        return EXIT_OK
    # Several processes: each builds its own app from the environment (uvicorn starts them
    # from an import string). The schema is brought up to date once, here, before any starts.
    Database(config.database_url).dispose()
    os.environ[DATA_DIR_ENV] = str(config.data_dir)
    os.environ[DATABASE_URL_ENV] = config.database_url
    os.environ[MAX_PENDING_ENV] = str(config.max_pending_bytes >> 20)
    factory = f"fieldapp.server.cli:{app_from_environment.__name__}"  # not __main__ under -m
    warm.start(config.database_url)  # in the supervising process: the cache is in the database
    uvicorn.run(factory, factory=True, workers=args.workers, **options)
    return EXIT_OK


def app_from_environment() -> Any:
    """A worker's application (``--workers N``): the data folder and database ``serve`` put in
    the environment. Everything a request needs is in the database or the data folder, so any
    worker answers any request the same way."""
    from fieldapp.server.app import create_app
    from fieldapp.server.config import ServerConfig

    return create_app(ServerConfig.resolve())


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command is None:
        return serve(args)
    from fieldapp.errors import FieldappError
    from fieldapp.server.accounts import ServerError
    from fieldapp.server.blobs import BlobRefused

    func: Callable[[argparse.Namespace, _Env], int] = args.func
    try:
        env = _Env(args)
    except ImportError as exc:
        print(f"fieldapp-server 需要服务器组件（{exc.name}）", file=sys.stderr)
        return EXIT_INVALID
    try:
        return func(args, env)
    except (ServerError, BlobRefused, FieldappError) as exc:
        print(f"fieldapp-server: {exc}", file=sys.stderr)
        return EXIT_INVALID
    finally:
        env.db.dispose()


if __name__ == "__main__":
    sys.exit(main())
