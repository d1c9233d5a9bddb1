"""Rate limits: counted in the process without a thread of their own, and never taking
the app down with their storage."""
import logging
import threading
import time

from limits import parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

import core.ratelimit  # noqa: F401  (registers the "local://" storage)
from tests.helpers import app_of_its_own


def test_unreachable_limit_storage_serves_requests_unlimited(tmp_path, caplog):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    app = app_of_its_own(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_LOGIN="1 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        codes = [client.post("/api/v1/auth/login", json={"code": f"r{i}"}).status_code for i in range(2)]
    assert codes == [200, 200]
    assert "rate limit storage unreachable" in caplog.text


def test_local_counts_refuse_past_the_limit_and_start_again_with_the_next_window():
    counter = FixedWindowRateLimiter(storage_from_string("local://"))
    limit = parse("2 per 1 second")
    assert [counter.hit(limit, "answer", "user:1") for _ in range(3)] == [True, True, False]
    assert counter.hit(limit, "answer", "user:2")  # another person has their own count
    stats = counter.get_window_stats(limit, "answer", "user:1")
    assert stats.remaining == 0 and time.time() < stats.reset_time <= time.time() + 1
    time.sleep(1.05)
    assert counter.hit(limit, "answer", "user:1")


def test_local_counts_start_no_thread_and_forget_ended_windows():
    storage = storage_from_string("local://")
    storage.SWEEP_SECONDS = 0.0  # walk the counts at every count
    threads = threading.active_count()
    for user in range(500):
        storage.incr(f"user:{user}", expiry=0)  # each window over as soon as counted
    assert threading.active_count() == threads
    storage.incr("user:last", expiry=60)
    # Only the count whose window is still open is kept.
    assert storage.reset() == 1
