"""Events and the projector in a real browser."""
import re

import pytest
from playwright.sync_api import expect

from activities import tokens
from activities.models import Event
from core.extensions import db
from core.timeutil import utcnow
from tests.admin.conftest import table_rows
from tests.admin.test_exam_admin_browser import _fill_time
from tests.admin.test_panel_browser import _select2_choose

browser_test = pytest.mark.committing


@browser_test
def test_staff_create_an_event_in_beijing_time(open_panel, make):
    username = make.admin(role="admin").username
    make.org_unit(name="司法所", kind="department")
    drug_law = make.category(name="禁毒法")
    make.questions(6, drug_law)
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/events/new/")
    page.fill("#title", "6·26国际禁毒日宣传")
    _select2_choose(page, "#s2id_kind", "禁毒日")
    _select2_choose(page, "#s2id_org_unit", "司法所")
    _fill_time(page, "#starts_at", "2026-06-26 09:00:00")
    _fill_time(page, "#ends_at", "2026-06-26 11:30:00")
    _fill_time(page, "#checkin_opens_at", "2026-06-26 08:30:00")
    _fill_time(page, "#checkin_closes_at", "2026-06-26 11:30:00")
    page.fill("#location_name", "镇文化站广场")
    page.fill("#latitude", "30.5123")
    page.fill("#longitude", "114.3456")
    page.fill("#radius_m", "150")
    page.fill("#points", "2")
    _select2_choose(page, "#s2id_quiz_category", "禁毒法")
    page.fill("#quiz_size", "5")
    page.fill("#quiz_points_each", "2")
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    assert not panel.path().startswith("/admin/events/new"), panel.flashes()
    event = table_rows(Event)[0]
    assert str(event["starts_at"]).startswith("2026-06-26 01:00")  # 09:00 in Beijing
    assert event["kind"] == "antidrug_day" and event["radius_m"] == 150 and event["quiz_size"] == 5


@browser_test
def test_projector_shows_a_rotating_code_and_the_live_count(open_panel, make, api):
    username = make.admin(role="admin").username
    event = make.event(token_seconds=10, points=1)
    event_id = event.id
    user = make.user()
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/events/projector/{event_id}")
    expect(page.locator("#qr svg")).to_be_visible()
    expect(page.locator("#count")).to_have_text("0")
    first = page.locator("#qr").inner_html()
    # Someone checks in with the code on the screen: the count goes up without a reload.
    token = tokens.issue(event_id, 10, utcnow())[0]
    assert api.as_user(user).post("/checkins", json={"token": token, "latitude": 30.5123, "longitude": 114.3456}).status_code == 201
    db.session.commit()
    expect(page.locator("#count")).to_have_text("1", timeout=8000)
    # The code turns over by itself.
    page.wait_for_function("(first) => document.getElementById('qr').innerHTML !== first", arg=first, timeout=15000)
    assert not re.search(r"https?://(?!127\.0\.0\.1)", page.content())
