"""Rate limits do not take the app down with their storage."""
import logging

from tests.helpers import app_of_its_own


def test_unreachable_limit_storage_serves_requests_unlimited(tmp_path, caplog):
    # Port 1 on loopback: nothing listens, the connection is refused at once.
    app = app_of_its_own(tmp_path, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0", RATELIMIT_LOGIN="1 per minute")
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        codes = [client.post("/api/v1/auth/login", json={"code": f"r{i}"}).status_code for i in range(2)]
    assert codes == [200, 200]
    assert "rate limit storage unreachable" in caplog.text
