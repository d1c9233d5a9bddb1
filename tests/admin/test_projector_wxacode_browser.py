"""The projector's mini-program code in a real browser (WeChat faked on loopback): the
image loads under the page's CSP, fills the code's box and turns over with the token;
the link QR's page tells a browser to scan with WeChat."""
import pytest
from playwright.sync_api import expect

from core.extensions import db

browser_test = pytest.mark.committing


@pytest.fixture
def wxacodes(app, wechat):
    for key in ("pufa_wechat_token", "pufa_wxacodes"):
        app.extensions.pop(key, None)
    saved = {k: app.config[k] for k in ("REDIS_URL", "PUBLIC_BASE_URL")}
    app.config.update(REDIS_URL=None, PUBLIC_BASE_URL="")
    yield wechat
    app.config.update(saved)
    for key in ("pufa_wechat_token", "pufa_wxacodes"):
        app.extensions.pop(key, None)


@browser_test
def test_the_mini_program_code_shows_and_turns_over_with_the_token(open_panel, make, wxacodes):
    username = make.admin(role="admin").username
    event_id = make.event(title="民法典进村宣讲", token_seconds=10).id
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    panel.goto(f"/admin/events/projector/{event_id}")
    page = panel.page
    image = page.locator("#qr svg image")
    first = image.get_attribute("href")
    assert first.startswith(f"/admin/events/projector/{event_id}/code?t=")
    # The browser decodes what WeChat sent, and draws it across the code's box.
    assert page.evaluate("(src) => { const i = new Image(); i.src = src; return i.decode().then(() => i.naturalWidth); }", first) > 0
    box, frame = image.bounding_box(), page.locator("#qr").bounding_box()
    assert box["width"] > 0.8 * frame["width"] and box["height"] > 0.8 * frame["height"]
    expect(page.locator("#notice")).to_have_text("")
    # The next token's code replaces it, without a reload.
    expect(image).not_to_have_attribute("href", first, timeout=14_000)
    assert page.locator("#qr svg image").get_attribute("href") != first
    assert len([r for r in wxacodes.requests if r["path"] == "/cgi-bin/stable_token"]) == 1


@browser_test
def test_the_link_page_reads_well_in_a_browser(open_panel):
    panel = open_panel()
    panel.goto("/c/AAAAAQAAAAAAAAAAAAAAAAAAAAA")
    expect(panel.page.locator("h1")).to_have_text("请用微信扫一扫签到")
    assert "扫描大屏上的二维码" in panel.page.locator("body").inner_text()
