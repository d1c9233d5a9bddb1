"""Every kind of response carries the security headers; pages get a CSP with no
inline script allowed (nonces and exact handler hashes only)."""
import re

import pytest

PATHS = [
    "/api/v1/healthz",            # API JSON
    "/api/v1/no-such-thing",      # API error
    "/openapi.json",
    "/docs",
    "/docs/assets/swagger-ui.css",
    "/static/docs-init.js",
    "/admin/auth/login",           # panel page
    "/admin/",                     # panel redirect
    "/admin/no-such-page",         # panel error page
]


@pytest.mark.parametrize("path", PATHS)
def test_security_headers_on_every_response(client, path):
    r = client.get(path)
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    assert r.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    csp = r.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    script_src = re.search(r"script-src ([^;]+)", csp).group(1)
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src


def test_docs_page_has_no_inline_script(client):
    page = client.get("/docs").get_data(as_text=True)
    assert re.findall(r"<script>", page) == [] and all("src=" in s for s in re.findall(r"<script[^>]*>", page))


def test_api_answers_carry_a_short_policy_and_no_nonce(client):
    """A phone downloads the policy with every answer: the API's loads nothing."""
    csp = client.get("/api/v1/healthz").headers["Content-Security-Policy"]
    assert csp.startswith("default-src 'none'") and "nonce-" not in csp and len(csp) < 100
    assert "nonce-" in client.get("/admin/auth/login").headers["Content-Security-Policy"]
