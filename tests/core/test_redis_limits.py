"""With REDIS_URL set, rate limits live in Redis, shared by every app server."""
import os
import subprocess
import sys
import uuid

import pytest
import redis

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")

SCRIPT = """
import os
from core import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "RATELIMIT_LOGIN": "2 per minute",
                  "RATELIMIT_KEY_PREFIX": os.environ["TEST_LIMIT_PREFIX"]})
with app.app_context():
    from core.extensions import db
    db.create_all()
client = app.test_client()
print(" ".join(str(client.post("/api/v1/auth/login", json={"code": "r%d" % i}).status_code) for i in range(3)))
"""


def _run(env):
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True, text=True, timeout=60,
                         cwd=os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_limits_are_kept_in_redis_across_processes(tmp_path):
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.ConnectionError:
        pytest.fail(f"Redis is not reachable at {REDIS_URL}")
    # A prefix of its own, so test runs side by side do not share counts.
    prefix = f"pufa-test-{uuid.uuid4().hex}"
    env = {**os.environ, "REDIS_URL": REDIS_URL, "SECRET_KEY": uuid.uuid4().hex, "PUFA_INSTANCE": str(tmp_path),
           "TEST_LIMIT_PREFIX": prefix, "ACCESS_LOG": "0"}  # its stdout is the statuses alone
    try:
        assert _run(env) == ["200", "200", "429"]
        # A second process (another app server) sees the same count.
        assert _run(env) == ["429", "429", "429"]
        assert list(server.scan_iter(f"*{prefix}*"))
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
