"""Render deploy/nginx/pufa.conf for this installation: the app's directory, the static
directories of the installed packages, the address to listen on and the app servers.

    .venv/bin/python -m deploy.render nginx --server-name pufa.example.gov.cn \\
        --upstream 127.0.0.1:8000 --tls-cert /etc/ssl/pufa.crt --tls-key /etc/ssl/pufa.key
"""
import argparse
import os
import sys
from pathlib import Path

APP_DIR = Path(__file__).resolve().parent.parent
SITE = Path(__file__).resolve().parent / "nginx" / "pufa.conf"


def static_dirs() -> dict[str, str]:
    """The installed packages' static directories (where they are depends on the venv)."""
    import flask_admin
    import swagger_ui_bundle

    return {
        "FLASK_ADMIN_STATIC": os.path.join(os.path.dirname(flask_admin.__file__), "static"),
        "SWAGGER_UI_STATIC": str(swagger_ui_bundle.swagger_ui_path),
    }


def nginx_site(upstreams: list[str], listen: str = "80", server_name: str = "_",
               tls_cert: str | None = None, tls_key: str | None = None) -> str:
    if tls_cert and tls_key:
        listen_lines = f"    listen {listen} ssl http2;\n    ssl_certificate {tls_cert};\n    ssl_certificate_key {tls_key};"
    else:
        listen_lines = f"    listen {listen};"
    values = {
        "UPSTREAM_SERVERS": "\n".join(f"    server {u} max_fails=3 fail_timeout=5s;" for u in upstreams),
        "LISTEN": listen_lines,
        "SERVER_NAME": server_name,
        "APP_DIR": str(APP_DIR),
        **static_dirs(),
    }
    text = SITE.read_text()
    for name, value in values.items():
        text = text.replace(f"@{name}@", value)
    return text


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m deploy.render", description="Render the nginx site for this installation.")
    parser.add_argument("what", choices=["nginx"])
    parser.add_argument("--upstream", action="append", help="an app server, host:port (repeat for several); default 127.0.0.1:8000")
    parser.add_argument("--listen", default=None, help="address or port to listen on (default 443 with TLS, else 80)")
    parser.add_argument("--server-name", default="_")
    parser.add_argument("--tls-cert")
    parser.add_argument("--tls-key")
    args = parser.parse_args(argv)
    listen = args.listen or ("443" if args.tls_cert else "80")
    sys.stdout.write(nginx_site(args.upstream or ["127.0.0.1:8000"], listen, args.server_name, args.tls_cert, args.tls_key))


if __name__ == "__main__":
    main()
