"""`scripts/cluster up|down`: Pufa as in production, on one machine, on loopback.

PostgreSQL (Debian's package, its own data directory), Redis, two gunicorn app servers
(deploy/gunicorn.conf.py) sharing SECRET_KEY, DATABASE_URL, REDIS_URL and UPLOAD_DIR, and
nginx in front (deploy/nginx/pufa.conf, rendered by deploy.render) on one port; each on a
free port, all under one temporary directory. The apps run with PUFA_ENV=production; the
WeChat credentials production requires point at a stand-in WeChat on loopback
(`fake-wechat` below), whose login gives back the code as the openid, so `dev:demo-resident`
signs in as the demo's resident.

What was started is recorded, as it starts, in a state file (JSON: directory, ports, PIDs,
the apps' environment); `down` reads it and stops each process by its PID, then removes
the directory. An `up` that fails stops what it had started.
"""
import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from deploy.render import APP_DIR, nginx_site

DEFAULT_STATE = APP_DIR / "instance" / "cluster.json"
VENV_BIN = APP_DIR / ".venv" / "bin"
APP_SERVERS = 2
WORKERS_PER_SERVER = 2
THREADS_PER_WORKER = 4
ROOT = os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pg_bin() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        sys.exit("scripts/cluster: Debian's postgresql is not installed (apt-get install postgresql)")
    return found[-1].parent


def as_owner(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, run it as `nobody`."""
    return ["runuser", "-u", "nobody", "--", *cmd] if ROOT else cmd


class Cluster:
    def __init__(self, state_path: Path, state: dict):
        self.state_path, self.state = state_path, state

    @property
    def dir(self) -> Path:
        return Path(self.state["dir"])

    def save(self) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, ensure_ascii=False, indent=2))
        tmp.replace(self.state_path)

    def started(self, name: str, pid: int) -> None:
        self.state["pids"][name] = pid
        self.save()

    def spawn(self, name: str, cmd: list[str], log: Path, env: dict | None = None) -> subprocess.Popen:
        """A process of its own session (it outlives `up`), its output to `log`."""
        with open(log, "ab") as out:
            proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    env=env, cwd=APP_DIR, start_new_session=True)
        self.started(name, proc.pid)
        return proc

    # -- up -------------------------------------------------------------------------

    def up(self, residents: int, days: int) -> None:
        d = self.dir
        ports = self.state["ports"]
        for name in ("postgres", "redis", "wechat", "nginx", *(f"app{i}" for i in range(1, APP_SERVERS + 1))):
            ports[name] = free_port()
        self.save()
        self.start_postgres()
        self.start_redis()
        self.spawn("wechat", [sys.executable, "-m", "deploy.cluster", "fake-wechat", str(ports["wechat"])], d / "wechat.log")
        env = self.app_env()
        self.state["env"] = env
        self.save()
        self.flask(["db", "upgrade"])
        seeded = self.flask(["seed-demo", "--residents", str(residents), "--days", str(days)])
        found = re.search(r"用户名 \S+\s+密码 (\S+)", seeded)  # demo.seed's admin line
        self.state["admin_password"] = found.group(1) if found else None
        self.cut_font()
        for i in range(1, APP_SERVERS + 1):
            self.start_app(i)
        self.start_nginx()
        self.state["url"] = f"http://127.0.0.1:{ports['nginx']}"
        self.save()
        self.wait_healthy()

    def start_postgres(self) -> None:
        d, port, bin_dir = self.dir, self.state["ports"]["postgres"], pg_bin()
        data, sockets = d / "pg", d / "pg-sockets"
        for owned in (data, sockets):  # PostgreSQL's own: written by its user
            owned.mkdir()
            if ROOT:
                shutil.chown(owned, "nobody")
        run(as_owner([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8",
                      "--auth-local=trust", "--auth-host=trust"]), d / "initdb.log")
        # Listening on loopback only: `trust` reaches no one but this machine. fsync off:
        # a throwaway cluster; a clean shutdown or restart still loses nothing committed.
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off"
        run(as_owner([str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w", "-t", "60",
                      "-o", options, "start"]), d / "pg_ctl.log")
        self.state["pg_bin"], self.state["pg_options"] = str(bin_dir), options
        self.started("postgres", postmaster_pid(data))
        run([str(bin_dir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "pufa"], d / "pg_ctl.log")

    def start_redis(self) -> None:
        d, port = self.dir, self.state["ports"]["redis"]
        (d / "redis").mkdir()
        self.spawn("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", str(d / "redis"),
                             "--save", "", "--appendonly", "no", "--daemonize", "no"], d / "redis.log")
        wait_for(lambda: redis_ping(port), 20, "Redis")

    def app_env(self) -> dict:
        d, ports = self.dir, self.state["ports"]
        (d / "uploads").mkdir()
        (d / "instance").mkdir()
        return {
            "PUFA_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{ports['postgres']}/pufa",
            "REDIS_URL": f"redis://127.0.0.1:{ports['redis']}/0",
            "UPLOAD_DIR": str(d / "uploads"),
            "PUFA_INSTANCE": str(d / "instance"),
            "PROXY_COUNT": "1",
            # Production refuses to start without it; /metrics answers only this token.
            "METRICS_TOKEN": secrets.token_urlsafe(32),
            # Production refuses to start without WeChat credentials: the stand-in WeChat.
            "WECHAT_APPID": "wx-cluster-appid",
            "WECHAT_SECRET": "cluster-secret",
            "WECHAT_API_BASE": f"http://127.0.0.1:{ports['wechat']}",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['nginx']}",
            "FLASK_APP": "wsgi.py",
        }

    def process_env(self) -> dict:
        return {**{k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL",)}, **self.state["env"]}

    def flask(self, args: list[str]) -> str:
        started = time.monotonic()
        out = subprocess.run([str(VENV_BIN / "flask"), *args], cwd=APP_DIR, env=self.process_env(),
                             capture_output=True, text=True)
        with open(self.dir / "flask.log", "a") as log:
            log.write(f"$ flask {' '.join(args)}  ({time.monotonic() - started:.1f} s)\n{out.stdout}{out.stderr}\n")
        if out.returncode:
            raise RuntimeError(f"flask {' '.join(args)} failed:\n{out.stdout}{out.stderr}")
        return out.stdout

    def cut_font(self) -> None:
        """`flask exams cut-font`, once here, not in every worker (README, "Serving"); a
        cut already made in the checkout's instance/ (scripts/demo) is the same file."""
        made = list((APP_DIR / "instance").glob("cert-font-*.ttf"))
        for font in made:
            shutil.copy(font, Path(self.state["env"]["PUFA_INSTANCE"]) / font.name)
        if not made:
            self.flask(["exams", "cut-font"])

    def start_app(self, i: int) -> None:
        d, port = self.dir, self.state["ports"][f"app{i}"]
        cmd = [str(VENV_BIN / "gunicorn"), "-c", str(APP_DIR / "deploy" / "gunicorn.conf.py"),
               "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS_PER_SERVER), "--threads", str(THREADS_PER_WORKER),
               "--access-logfile", str(d / f"app{i}.access.log"), "--error-logfile", str(d / f"app{i}.log"),
               "--pid", str(d / f"app{i}.pid"),
               # Its own control socket: gunicorn's default, ~/.gunicorn/gunicorn.ctl, is one for the whole machine.
               "--control-socket", str(d / f"app{i}.ctl"), "wsgi:app"]
        # A server killed with SIGKILL leaves its pid file, and once its PID is reused by another
        # process gunicorn refuses to start ("Already running"): this starts a server not running.
        (d / f"app{i}.pid").unlink(missing_ok=True)
        self.spawn(f"app{i}", cmd, d / f"app{i}.log", env=self.process_env())

    def start_nginx(self) -> None:
        d, ports = self.dir, self.state["ports"]
        ng = d / "nginx"
        for sub in ("logs", "tmp/body", "tmp/proxy", "tmp/fastcgi", "tmp/uwsgi", "tmp/scgi"):
            (ng / sub).mkdir(parents=True)
        if ROOT:  # the master is root; its workers, `nobody`, write request bodies here
            for path in (ng / "tmp").rglob("*"):
                shutil.chown(path, "nobody")
        upstreams = [f"127.0.0.1:{ports[f'app{i}']}" for i in range(1, APP_SERVERS + 1)]
        (ng / "pufa.conf").write_text(nginx_site(upstreams, listen=f"127.0.0.1:{ports['nginx']}", server_name="127.0.0.1"))
        user = "user nobody nogroup;\n" if ROOT else ""
        (ng / "nginx.conf").write_text(f"""{user}worker_processes 2;
pid {ng}/nginx.pid;
error_log {ng}/logs/error.log warn;
events {{ worker_connections 1024; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {ng}/logs/access.log;
    client_body_temp_path {ng}/tmp/body;
    proxy_temp_path {ng}/tmp/proxy;
    fastcgi_temp_path {ng}/tmp/fastcgi;
    uwsgi_temp_path {ng}/tmp/uwsgi;
    scgi_temp_path {ng}/tmp/scgi;
    include {ng}/pufa.conf;
}}
""")
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        run([nginx, "-t", "-p", str(ng), "-c", str(ng / "nginx.conf")], d / "nginx-check.log")
        self.spawn("nginx", [nginx, "-p", str(ng), "-c", str(ng / "nginx.conf"), "-g", "daemon off;"], ng / "logs" / "stderr.log")

    def wait_healthy(self) -> None:
        ports = self.state["ports"]
        for name in [f"app{i}" for i in range(1, APP_SERVERS + 1)] + ["nginx"]:
            url = f"http://127.0.0.1:{ports[name]}/api/v1/healthz"
            wait_for(lambda: http_ok(url), 60, f"{name} ({url})")

    # -- down -----------------------------------------------------------------------

    def down(self) -> None:
        pids = self.state.get("pids", {})
        for name in ("nginx", *sorted(n for n in pids if n.startswith("app")), "wechat", "redis"):
            if name in pids:
                # gunicorn's quick shutdown (SIGINT), nginx's fast one (SIGTERM): nothing to
                # drain. gunicorn's gthread workers can take seconds to quit; then SIGKILL.
                app = name.startswith("app")
                stop(pids[name], signal.SIGINT if app else signal.SIGTERM, with_children=app, wait=2 if app else 15)
        if "postgres" in pids:
            # Its current PID: PostgreSQL may have been restarted since (pg_ctl restart).
            current = self.dir / "pg" / "postmaster.pid"
            stop(postmaster_pid(self.dir / "pg") if current.exists() else pids["postgres"], signal.SIGINT)  # fast shutdown
        shutil.rmtree(self.dir, ignore_errors=True)
        self.state_path.unlink(missing_ok=True)


def run(cmd: list[str], log: Path) -> None:
    with open(log, "ab") as out:
        done = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, cwd="/" if ROOT else None)
    if done.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed (exit {done.returncode}); see {log}:\n{log.read_text()[-2000:]}")


def postmaster_pid(data: Path) -> int:
    return int((data / "postmaster.pid").read_text().split()[0])


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (gunicorn's workers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) is gone for our purposes
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def stop(pid: int, sig: int, with_children: bool = False, wait: float = 15) -> None:
    """Signal `pid` and wait for it to end; SIGKILL it (and its children) past `wait`."""
    kids = children(pid) if with_children else []
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and (alive(pid) or any(alive(k) for k in kids)):
        time.sleep(0.1)
    for p in [pid, *kids]:
        if alive(p):
            try:
                os.kill(p, signal.SIGKILL)
            except ProcessLookupError:
                pass


def wait_for(check, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer within {seconds:.0f} s")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status == 200
    except OSError:
        return False


def redis_ping(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class FakeWeChat(BaseHTTPRequestHandler):
    """jscode2session answering the code as the openid; anything else an errcode."""

    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/sns/jscode2session":
            code = parse_qs(url.query).get("js_code", [""])[0]
            body = {"openid": code, "session_key": "cluster-session-key"} if code else {"errcode": 40029, "errmsg": "invalid code"}
        else:
            body = {"errcode": 40001, "errmsg": "not in the stand-in WeChat"}
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, *args):
        pass


def cmd_up(args) -> None:
    state_path = Path(args.state).resolve()
    if state_path.exists():
        sys.exit(f"scripts/cluster: {state_path} exists: a cluster is up (scripts/cluster down --state {state_path}).")
    # Under /tmp, which `nobody` (PostgreSQL's and nginx's workers' user as root) can reach.
    d = Path(tempfile.mkdtemp(prefix="pufa-cluster.", dir="/tmp"))
    d.chmod(0o755)
    cluster = Cluster(state_path, {"dir": str(d), "ports": {}, "pids": {}})
    cluster.save()
    print(f"scripts/cluster: starting in {d} (state: {state_path})", flush=True)
    try:
        cluster.up(args.residents, args.days)
    except BaseException as exc:
        print(f"scripts/cluster: up failed: {exc}\nstopping what was started.", file=sys.stderr, flush=True)
        cluster.down()
        sys.exit(1)
    s = cluster.state
    print(f"""
Pufa cluster up (PUFA_ENV=production, {APP_SERVERS} app servers behind nginx):
  URL:            {s['url']}   (panel {s['url']}/admin/, API docs {s['url']}/docs)
  admin password: user admin, password {s['admin_password']}
  mini-program login: POST {s['url']}/api/v1/auth/login {{"code": "dev:demo-resident"}} (stand-in WeChat)
  app servers:    {', '.join(f"http://127.0.0.1:{s['ports'][f'app{i}']}" for i in range(1, APP_SERVERS + 1))}
  PostgreSQL:     {s['env']['DATABASE_URL']}
  Redis:          {s['env']['REDIS_URL']}
  directory:      {d} (logs: app*.log, nginx/logs, pg/server.log)
Stop it with: scripts/cluster down{'' if state_path == DEFAULT_STATE else f' --state {state_path}'}""", flush=True)


def cmd_down(args) -> None:
    state_path = Path(args.state).resolve()
    if not state_path.exists():
        sys.exit(f"scripts/cluster: no cluster recorded in {state_path}")
    cluster = Cluster(state_path, json.loads(state_path.read_text()))
    cluster.down()
    print(f"scripts/cluster: stopped, {cluster.dir} removed.")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="scripts/cluster", description="Pufa as in production on this machine.")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start PostgreSQL, Redis, two app servers and nginx; migrate; seed the demo town")
    up.add_argument("--residents", type=int, default=50, help="demo residents (default 50)")
    up.add_argument("--days", type=int, default=2, help="days of quiz history (default 2)")
    up.add_argument("--state", default=str(DEFAULT_STATE), help=f"state file (default {DEFAULT_STATE})")
    down = sub.add_parser("down", help="stop everything `up` started and remove its directory")
    down.add_argument("--state", default=str(DEFAULT_STATE))
    wechat = sub.add_parser("fake-wechat", help=argparse.SUPPRESS)
    wechat.add_argument("port", type=int)
    args = parser.parse_args(argv)
    if args.command == "up":
        cmd_up(args)
    elif args.command == "down":
        cmd_down(args)
    else:
        ThreadingHTTPServer(("127.0.0.1", args.port), FakeWeChat).serve_forever()


if __name__ == "__main__":
    main()
