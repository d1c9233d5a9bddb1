"""居民, 排行榜 and an event's 签到名单 in a real browser, as a reviewer uses them."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from activities.models import CheckIn
from core.extensions import db
from core.timeutil import utcnow
from points import ledger

browser_test = pytest.mark.committing


@browser_test
def test_a_reviewer_finds_a_person_reads_the_boards_and_an_events_sign_in_list(open_panel, make, app):
    username = make.admin(role="reviewer").username
    east, west = make.org_unit(name="东湖村"), make.org_unit(name="西岭村")
    wang = make.user(real_name="王秀英", nickname="秀英", org_unit_id=east.id)
    li = make.user(real_name="李建国", nickname="老李", org_unit_id=west.id)
    make.cadre(make.user(real_name="陈卫东", org_unit_id=east.id), phone="13812345678")
    rule = app.config["POINTS_RULES"]["daily_correct"]
    ledger.credit(wang.id, rule, 30, f"browser:{wang.id}")
    ledger.credit(li.id, rule, 45, f"browser:{li.id}")
    event = make.event(title="民法典进村宣讲会", starts_at=utcnow() - timedelta(hours=3), ends_at=utcnow() - timedelta(hours=1))
    db.session.add(CheckIn(event_id=event.id, user_id=wang.id, checked_in_at=utcnow() - timedelta(hours=2), points_awarded=3))
    db.session.commit()
    event_id = event.id

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/residents/")
    page.fill("input[name=q]", "王秀")
    with page.expect_navigation():
        page.click("#resident-search button")
    expect(page.locator("#resident-list tbody tr")).to_have_count(1)
    with page.expect_navigation():
        page.click("#resident-list a:has-text('王秀英')")
    expect(page.locator("#person-name")).to_contain_text("王秀英")
    expect(page.locator("#person-checkins")).to_contain_text("民法典进村宣讲会")

    panel.goto("/admin/residents/?phone=5678")
    expect(page.locator("#resident-list")).to_contain_text("138****5678")

    panel.goto("/admin/rankings/")
    expect(page.locator("#board tbody tr").first).to_contain_text("李建国")
    with page.expect_navigation():
        page.click("#board-tabs a:has-text('村（单位）排行')")
    page.select_option("select[name=period]", "year")
    with page.expect_navigation():
        page.click("#board-form button")
    expect(page.locator("#board-title")).to_contain_text("年村和社区积分排行")
    expect(page.locator("#board tbody tr").first).to_contain_text("西岭村")
    with page.expect_download() as download:
        page.click("#board-export")
    assert download.value.suggested_filename.endswith("村和社区积分排行.xlsx")

    panel.goto("/admin/events/")
    with page.expect_navigation():
        page.click(f"a[href='/admin/events/{event_id}/attendance']")
    expect(page.locator("#attendance-list")).to_contain_text("王秀英")
    with page.expect_download() as download:
        page.click("#attendance-export")
    assert download.value.suggested_filename.endswith("签到与答题.xlsx")
