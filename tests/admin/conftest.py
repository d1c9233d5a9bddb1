"""Real-browser fixtures for the admin panel.

The session `app` is served from a background thread; Debian's Chromium (driven by
Playwright) talks to it and to nothing else. Every request each page makes is
recorded, and a test fails if one went anywhere but the local server: the panel
must work in a township office with no internet (no CDN).

Rows the browser is to see must be committed (mark the test `committing`). The test
thread must not sit in an open transaction while the browser works (on SQLite a
transaction that has written, or was begun IMMEDIATE, holds the one write lock and
the server's requests would wait for it): take plain values (ids, names) before
the commit, and read the database with `db_rows`/`table_rows`, which end their
transaction at once, instead of touching ORM objects after a commit.
"""
import re
import threading
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from core.extensions import db

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # No DNS for anything else: nothing outside this machine can be reached by name.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
PASSWORD = "correct-horse"


class _QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """The app served on 127.0.0.1 at a free port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="admin-live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Panel:
    """One browser session (its own cookies) on the admin panel."""

    page: object
    base_url: str
    requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    csp_violations: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return self.base_url + path

    def goto(self, path: str):
        return self.page.goto(self.url(path))

    def login(self, username: str, password: str = PASSWORD):
        self.goto("/admin/auth/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        with self.page.expect_navigation():
            self.page.click("#login-form button[type=submit]")

    def flashes(self) -> list[str]:
        return [t.strip() for t in self.page.locator(".alert").all_inner_texts()]

    def path(self) -> str:
        return self.page.url[len(self.base_url):] if self.page.url.startswith(self.base_url) else self.page.url

    def foreign_requests(self) -> list[str]:
        return [u for u in self.requests if not (u == self.base_url or u.startswith(self.base_url + "/"))]


@pytest.fixture
def panel(app):
    """A test client for the panel's forms, with CSRF checks off (the browser tests and
    tests/admin/test_exam_results_pages.py keep them on)."""
    app.config["WTF_CSRF_ENABLED"] = False
    yield app.test_client()
    app.config["WTF_CSRF_ENABLED"] = True


def login(client, admin, password: str = PASSWORD) -> None:
    r = client.post("/admin/auth/login", data={"username": admin.username, "password": password})
    assert r.status_code == 302, "login failed"


@pytest.fixture
def open_panel(browser, live_server):
    """Factory: `open_panel()` gives a fresh browser context (logged out) on the panel;
    `open_panel(viewport=..., is_mobile=True, ...)` one of another size or a phone's.

    Requests are only recorded, not intercepted (interception would switch off the
    browser cache and slow every page); Chromium itself resolves no host name but
    the loopback address (see CHROMIUM_ARGS), so a page needing the internet breaks."""
    contexts, panels = [], []

    def opener(**options) -> Panel:
        """`options`: more of the browser context's settings (a viewport, a phone's)."""
        context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai", service_workers="block", **options)
        context.set_default_timeout(10_000)
        page = context.new_page()
        panel = Panel(page=page, base_url=live_server)

        page.on("request", lambda request: panel.requests.append(request.url))
        # A navigation cancels what the previous page was still loading (net::ERR_ABORTED);
        # anything else failing, or a static file missing, is a broken page.
        page.on("requestfailed", lambda request: request.failure and "ERR_ABORTED" not in request.failure
                and panel.failed.append(f"{request.url} {request.failure}"))
        page.on("response", lambda response: response.status >= 400 and "/static/" in response.url
                and panel.failed.append(f"{response.url} {response.status}"))
        # Chromium reports every script, style or frame the page's CSP refused here.
        page.on("console", lambda message: "Content Security Policy" in message.text
                and panel.csp_violations.append(f"{page.url}: {message.text} at {message.location}"))
        contexts.append(context)
        panels.append(panel)
        return panel

    yield opener
    for context in contexts:
        context.close()
    for panel in panels:
        assert panel.foreign_requests() == [], "the panel tried to reach something other than the local server"
        assert panel.failed == [], "some of the panel's requests or static files failed"
        assert panel.csp_violations == [], "the page broke its own content security policy: " + " | ".join(panel.csp_violations)


def db_rows(stmt) -> list[dict]:
    """Run a read in a short transaction and release the database straight away."""
    try:
        return [dict(row._mapping) for row in db.session.execute(stmt)]
    finally:
        db.session.rollback()


def table_rows(model, *where) -> list[dict]:
    table = model.__table__
    return db_rows(select(table).where(*where).order_by(*table.primary_key.columns))


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)
