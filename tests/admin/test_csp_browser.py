"""The content security policy is one the pages' own assets satisfy: in a real
browser, the docs page renders and the panel's scripts run, with no violation
(every browser test checks that, in tests/admin/conftest.py)."""
import pytest
from playwright.sync_api import expect

from core.extensions import db


@pytest.mark.committing
def test_docs_page_renders_under_its_csp(open_panel):
    panel = open_panel()
    panel.goto("/docs")
    expect(panel.page.locator(".opblock").first).to_be_visible()
    assert panel.page.locator(".opblock").count() > 20


@pytest.mark.committing
def test_panel_scripts_run_under_the_csp(open_panel, make):
    username = make.admin("admin").username
    make.category(name="宪法")
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    panel.goto("/admin/exams/new/")
    # The paper total is an inline script with the response's nonce.
    expect(panel.page.locator("#paper-total-score")).to_have_text("0")
    panel.goto("/admin/account/")
    expect(panel.page.locator("#totp-qr")).to_be_visible()
    panel.page.once("dialog", lambda d: (panel.dialogs.append(d.message), d.dismiss()))
    panel.page.click("#end-sessions-form button")
    assert panel.dialogs == ["确定结束本账号的所有登录吗？之后须重新登录。"]
    assert panel.path() == "/admin/account/"  # dismissed: still signed in
