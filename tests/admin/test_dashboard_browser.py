"""The home page (首页) in a real browser: every chart is drawn by the vendored ECharts,
from the app alone, with no script error and no breach of the content security policy
(the `open_panel` fixture fails the test on a request off the machine or a CSP report)."""
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from core.extensions import db
from core.timeutil import utcnow
from tests.reports.town import answers, attempt, check_in, points

CHARTS = ("weeks", "event_kinds", "event_months", "exam_units", "points", "missed")


@pytest.mark.committing
def test_every_chart_is_drawn_offline_with_its_numbers_beside_it(open_panel, make):
    username = make.admin("admin").username
    now = utcnow()
    unit = make.org_unit(kind="department", name="司法所")
    held = make.event(title="宪法宣传日活动", kind="constitution_day", org_unit=unit,
                      starts_at=now - timedelta(hours=5), ends_at=now - timedelta(hours=3))
    hard = make.question(stem="离婚冷静期为多少日？", source="《民法典》第一千零七十七条")
    for i in range(6):
        person = make.user(org_unit_id=unit.id)
        check_in(held, person)
        answers(person, "daily", now - timedelta(hours=2), [(hard, i == 0)])
        points(person, 10, "daily_quiz", now - timedelta(hours=2))
    exam = make.exam(opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=1))
    attempt(exam, make.cadre(make.user(), org_unit=unit), "submitted", 90, now - timedelta(hours=1))
    make.cadre(make.user(), org_unit=unit)
    db.session.commit()

    panel = open_panel()
    errors = []
    panel.page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    panel.page.on("pageerror", lambda e: errors.append(str(e)))
    panel.login(username)
    assert panel.path() == "/admin/"
    page = panel.page

    for key in CHARTS:
        expect(page.locator(f'[data-chart="{key}"] canvas')).to_have_count(1)
        box = page.locator(f'[data-chart="{key}"] canvas').bounding_box()
        assert box["width"] > 100 and box["height"] > 100
    # The numbers a clerk reads without the chart.
    expect(page.locator("#card-missed tbody tr").first).to_contain_text("离婚冷静期为多少日？")
    expect(page.locator("#card-missed tbody tr").first).to_contain_text("83.3%")
    expect(page.locator("#card-exam_units tbody tr").first).to_contain_text("司法所")
    expect(page.locator("#card-exam_units tbody tr").first).to_contain_text("50.0%")
    expect(page.locator("#card-event_kinds tbody")).to_contain_text("宪法宣传日")
    # The vendored library, from this server.
    assert any(u.endswith("/static/vendor/echarts.min.js") for u in panel.requests)
    assert page.evaluate("() => typeof window.echarts.getInstanceByDom(document.querySelector('[data-chart=weeks]'))") == "object"
    assert errors == []
