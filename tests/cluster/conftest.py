"""One cluster (scripts/cluster: PostgreSQL, Redis, two app servers, nginx) for the
session, stopped at its end. Its tests talk HTTP to it, through nginx or to one app
server; an app in this process, bound to the cluster's database with its SECRET_KEY,
signs tokens and reads what was stored."""
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from core import create_app
from core.extensions import db
from deploy.cluster import APP_DIR, Cluster, alive, children

RESIDENTS = 20


@pytest.fixture(autouse=True)
def _transaction():
    """The cluster tests use the cluster's database, not the suite's test database."""
    yield


class Running:
    def __init__(self, state_path: Path):
        self.state_path = state_path
        self.reload()
        env = self.state["env"]
        self.app = create_app({
            "SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1),
            "SECRET_KEY": env["SECRET_KEY"], "UPLOAD_DIR": env["UPLOAD_DIR"], "WECHAT_APPID": "", "WECHAT_SECRET": "",
            # This process's connections outlive a PostgreSQL restart the tests make.
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        })

    def reload(self) -> None:
        self.state = json.loads(self.state_path.read_text())

    @property
    def url(self) -> str:
        return self.state["url"]

    def app_url(self, i: int) -> str:
        return f"http://127.0.0.1:{self.state['ports'][f'app{i}']}"

    def sql(self, statement: str, **params):
        with self.app.app_context():
            rows = db.session.execute(text(statement), params).all()
            db.session.rollback()
            return rows

    def execute(self, statement: str, **params) -> None:
        with self.app.app_context():
            db.session.execute(text(statement), params)
            db.session.commit()

    def token(self, user_id: int) -> dict:
        from accounts import tokens

        with self.app.app_context():
            return {"Authorization": f"Bearer {tokens.issue(user_id)[0]}"}

    def new_resident(self) -> int:
        from accounts.models import User

        with self.app.app_context():
            user = User(openid=f"cluster:{uuid.uuid4().hex}", nickname="集群测试居民", role="resident")
            db.session.add(user)
            db.session.commit()
            return user.id

    def user_id(self, openid: str) -> int:
        return self.sql("SELECT id FROM app_user WHERE openid = :o", o=openid)[0][0]

    def access_log(self, i: int) -> str:
        return (Path(self.state["dir"]) / f"app{i}.access.log").read_text()

    def kill_app(self, i: int) -> list[int]:
        """SIGKILL app server i's gunicorn master and its workers; their PIDs."""
        master = self.state["pids"][f"app{i}"]
        pids = [master, *children(master)]
        subprocess.run(["kill", "-KILL", *map(str, pids)], check=True)
        deadline = time.monotonic() + 10
        while any(alive(p) for p in pids) and time.monotonic() < deadline:
            time.sleep(0.05)
        return pids

    def restart_app(self, i: int) -> None:
        cluster = Cluster(self.state_path, self.state)
        cluster.start_app(i)
        self.reload()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.app_url(i) + "/api/v1/healthz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass  # not listening yet, or its workers still booting
            time.sleep(0.2)
        log = (Path(self.state["dir"]) / f"app{i}.log").read_text()[-3000:]
        raise AssertionError(f"app{i} did not come back; the end of its log:\n{log}")

    def pg_ctl(self, *args: str) -> None:
        data = Path(self.state["dir"]) / "pg"
        subprocess.run(["runuser", "-u", "nobody", "--", f"{self.state['pg_bin']}/pg_ctl", "-D", str(data),
                        "-l", str(data / "server.log"), "-w", *args], check=True, cwd="/", capture_output=True)


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    state = tmp_path_factory.mktemp("cluster") / "state.json"
    up = subprocess.run([str(APP_DIR / "scripts" / "cluster"), "up", "--residents", str(RESIDENTS), "--days", "1",
                         "--state", str(state)], capture_output=True, text=True, timeout=180)
    assert up.returncode == 0, up.stdout + up.stderr
    try:
        running = Running(state)
        yield running
    finally:
        down = subprocess.run([str(APP_DIR / "scripts" / "cluster"), "down", "--state", str(state)], capture_output=True, text=True)
        assert down.returncode == 0, down.stdout + down.stderr
    with running.app.app_context():
        db.engine.dispose()
