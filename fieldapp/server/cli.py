"""The ``fieldapp-server`` command: with no subcommand it serves the API with uvicorn."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from fieldapp import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fieldapp-server", description="放心消费单位评价县级服务器"
    )
    parser.add_argument("--version", action="version", version=f"fieldapp-server {__version__}")
    parser.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    parser.add_argument("--port", type=int, default=8765, help="端口（默认 8765）")
    parser.add_argument("--ssl-certfile", help="TLS 证书文件")
    parser.add_argument("--ssl-keyfile", help="TLS 私钥文件")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if bool(args.ssl_certfile) != bool(args.ssl_keyfile):
        print(
            "fieldapp-server: 用法错误：--ssl-certfile 和 --ssl-keyfile 要同时给出", file=sys.stderr
        )
        return 2
    try:
        import uvicorn

        from fieldapp.server.app import create_app
    except ImportError as exc:
        print(
            f"fieldapp-server 需要服务器组件（{exc.name}）。请安装：pip install 'fieldapp[server]'",
            file=sys.stderr,
        )
        return 1
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        ssl_certfile=args.ssl_certfile,
        ssl_keyfile=args.ssl_keyfile,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
