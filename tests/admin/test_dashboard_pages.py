"""The panel's home page (首页) through the test client: today's to-dos with their links,
the year's tables, and a page that costs the same however much the year holds."""
from datetime import timedelta

from core.extensions import db
from core.timeutil import utcnow
from tests.admin.conftest import login
from tests.reports.town import answers, attempt, check_in, redemption


def test_the_home_page_lists_todays_to_dos_with_where_to_deal_with_them(panel, make):
    login(panel, make.admin("admin"))
    now = utcnow()
    going = make.event(title="民法典进村宣讲")
    going.checkin_count = 7
    reward = make.reward()
    redemption(make.user(), reward, "pending", now - timedelta(days=1))
    exam = make.exam(title="年度学法考试（第一场）")
    make.cadre(make.user())
    make.question(status="pending")
    make.question(status="recheck")
    db.session.flush()

    page = panel.get("/admin/").get_data(as_text=True)
    assert "正在进行：民法典进村宣讲" in page and '<strong class="live-count">7</strong>' in page
    assert f'href="/admin/events/projector/{going.id}"' in page
    assert "待领取奖品 <strong>1</strong> 件" in page and 'href="/admin/pickup/"' in page
    assert "年度学法考试（第一场）" in page and "尚有 <strong>1</strong> 人未参加" in page
    assert f'href="/admin/exam-results/{exam.id}/"' in page
    assert "待审核题目 <strong>1</strong> 道" in page and 'href="/admin/pending-questions/"' in page
    assert "待复核的题目 <strong>1</strong> 道" in page and 'href="/admin/recheck-questions/"' in page
    # The charts' data for the static script, and no inline script for it.
    assert '<script type="application/json" id="dashboard-charts">' in page
    assert "/static/vendor/echarts.min.js" in page and "/static/dashboard.js" in page


def test_an_editor_sees_the_event_but_not_the_projectors_secret_code(panel, make):
    login(panel, make.admin("editor"))
    going = make.event(title="宪法宣传日活动")
    page = panel.get("/admin/").get_data(as_text=True)
    assert "正在进行：宪法宣传日活动" in page
    assert f"/admin/events/projector/{going.id}" not in page


def test_the_home_page_costs_the_same_however_much_the_year_holds(panel, make, count_queries):
    login(panel, make.admin("admin"))
    now = utcnow()
    panel.get("/admin/")  # the signed-in account is loaded once, as in any session

    def grow(n: int):
        q = make.question()
        for _ in range(n):
            person = make.user(org_unit_id=make.org_unit().id)
            e = make.event(starts_at=now - timedelta(hours=3), ends_at=now - timedelta(hours=1))
            check_in(e, person)
            answers(person, "daily", now - timedelta(minutes=30), [(q, False)])
            redemption(person, make.reward(), "pending", now - timedelta(days=1))
            make.question(status="pending")
            attempt(make.exam(), make.cadre(make.user()), "submitted", 80, now - timedelta(minutes=20))
        db.session.flush()

    counts = []
    for n in (1, 8):
        grow(n)
        with count_queries() as sql:
            page = panel.get("/admin/").get_data(as_text=True)
        counts.append(len(sql))
    assert counts[0] == counts[1]
    assert "待领取奖品 <strong>9</strong> 件" in page and "待审核题目 <strong>9</strong> 道" in page


def test_the_district_home_page_gives_the_exam_pass_rates_by_town(panel, make):
    login(panel, make.admin("admin"))
    make.town(name="东湖镇")
    make.town(name="西岭镇")
    several = panel.get("/admin/").get_data(as_text=True)
    assert "考试合格率：按镇" in several and "<th>镇</th>" in several and "按单位" not in several
