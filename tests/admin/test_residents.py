"""居民: finding a person by name, phone tail and unit, and one person's page."""
import re
from datetime import datetime, timedelta

from activities.models import CheckIn
from core.extensions import db
from core.timeutil import utcnow
from points import ledger, rewards
from quiz_bank.exams.models import ExamAttempt
from quiz_bank.models import Quiz, WrongAnswer
from tests.admin.conftest import login


def _as(panel, make, role):
    login(panel, make.admin(role))
    return panel


def _names(page: str) -> list[str]:
    """The names in the list, top to bottom."""
    return re.findall(r'<a href="/admin/residents/\d+/">([^<]+)</a>', page)


def test_found_by_real_name_nickname_phone_tail_and_village(panel, make):
    east, west = make.org_unit(name="东湖村"), make.org_unit(name="西岭村")
    office = make.org_unit(name="镇司法所", kind="department")
    make.user(real_name="王秀英", nickname="秀英", org_unit_id=east.id)
    make.user(real_name="李建国", nickname="湖边老王", org_unit_id=west.id)
    make.user(real_name="赵敏", nickname="minmin", org_unit_id=None)
    make.cadre(make.user(real_name="陈卫东", nickname="陈所"), org_unit=office, phone="13812345678")
    client = _as(panel, make, "admin")

    # A name matches the real name or the nickname, in part.
    assert sorted(_names(client.get("/admin/residents/?q=王").get_data(as_text=True))) == ["李建国", "王秀英"]
    assert _names(client.get("/admin/residents/?q=MinMin").get_data(as_text=True)) == ["赵敏"]
    assert _names(client.get("/admin/residents/?q=%25").get_data(as_text=True)) == []  # a literal %, not "anything"
    # Residents give no phone: a phone tail finds the cadre whose roster phone ends so.
    assert _names(client.get("/admin/residents/?phone=5678").get_data(as_text=True)) == ["陈卫东"]
    assert _names(client.get("/admin/residents/?phone=9999").get_data(as_text=True)) == []
    assert _names(client.get(f"/admin/residents/?unit={west.id}").get_data(as_text=True)) == ["李建国"]
    assert _names(client.get("/admin/residents/?unit=0").get_data(as_text=True)) == ["赵敏"]
    # Criteria together narrow the list.
    assert _names(client.get(f"/admin/residents/?q=王&unit={east.id}").get_data(as_text=True)) == ["王秀英"]
    assert _names(client.get("/admin/residents/?role=cadre").get_data(as_text=True)) == ["陈卫东"]


def test_a_phone_tail_that_is_not_digits_is_explained(panel, make):
    page = _as(panel, make, "admin").get("/admin/residents/?phone=abc%25").get_data(as_text=True)
    assert "手机尾号请输入 3 到 11 位数字。" in page


def test_pages_keep_the_search(panel, make):
    village = make.org_unit(name="南山村")
    for i in range(55):
        make.user(real_name=f"南山居民{i:02d}", org_unit_id=village.id)
    make.user(real_name="别村的人")
    client = _as(panel, make, "reviewer")
    first = client.get(f"/admin/residents/?unit={village.id}").get_data(as_text=True)
    assert "共 55 人，第 1 / 2 页" in first and len(_names(first)) == 50
    link = re.search(r'href="(/admin/residents/\?[^"]*page=2[^"]*)"', first).group(1).replace("&amp;", "&")
    assert f"unit={village.id}" in link
    second = client.get(link).get_data(as_text=True)
    assert len(_names(second)) == 5 and "别村的人" not in second


def test_arguments_named_like_the_links_own_stay_in_the_query_string(panel, make):
    """url_for's own keywords (endpoint, _external, _anchor) typed into the address bar
    neither break the page nor change where its links go."""
    village = make.org_unit(name="南山村")
    for i in range(55):
        make.user(real_name=f"南山居民{i:02d}", org_unit_id=village.id)
    client = _as(panel, make, "reviewer")
    r = client.get(f"/admin/residents/?unit={village.id}&endpoint=x&_external=1&_anchor=y")
    assert r.status_code == 200
    link = re.search(r'href="([^"]*page=2[^"]*)"', r.get_data(as_text=True)).group(1).replace("&amp;", "&")
    assert link.startswith("/admin/residents/?") and "endpoint=x" in link and "_external=1" in link


def _village_of(make, n: int, name: str = "北湖村"):
    """A village of n people, 北湖居民00 the first registered."""
    village = make.org_unit(name=name)
    for i in range(n):
        make.user(real_name=f"北湖居民{i:02d}", org_unit_id=village.id)
    return village


def test_more_matches_than_the_cap_are_not_counted_and_pages_stop_at_it(panel, make, monkeypatch):
    """A search matching a whole district is not counted to the last person: past the cap
    the page says so and asks for more criteria, and lists only the newest the cap allows."""
    from accounts import residents
    from admin import residents as view

    monkeypatch.setattr(residents, "COUNT_CAP", 5)
    monkeypatch.setattr(view, "PAGE_SIZE", 2)
    village = _village_of(make, 7)
    client = _as(panel, make, "reviewer")
    first = client.get(f"/admin/residents/?unit={village.id}").get_data(as_text=True)
    assert "超过 5 人，请输入更多条件缩小范围。只列出最新注册的 5 人，第 1 / 3 页。" in first and "共 7 人" not in first
    assert _names(first) == ["北湖居民06", "北湖居民05"]  # newest first
    assert re.search(r'href="[^"]*page=3"', first) and not re.search(r'href="[^"]*page=4"', first)
    last = client.get(f"/admin/residents/?unit={village.id}&page=3").get_data(as_text=True)
    assert _names(last) == ["北湖居民02"]  # the fifth newest, not the two beyond the cap
    past = client.get(f"/admin/residents/?unit={village.id}&page=4").get_data(as_text=True)
    assert _names(past) == [] and "只列出前 3 页，请输入更多条件缩小范围。" in past
    assert "没有找到符合条件的人" not in past


def test_matches_up_to_the_cap_are_counted_exactly(panel, make, monkeypatch):
    from accounts import residents

    monkeypatch.setattr(residents, "COUNT_CAP", 5)
    village = _village_of(make, 5)
    client = _as(panel, make, "reviewer")
    page = client.get(f"/admin/residents/?unit={village.id}").get_data(as_text=True)
    assert "共 5 人。" in page and "超过" not in page and len(_names(page)) == 5
    narrowed = client.get(f"/admin/residents/?unit={village.id}&q=居民03").get_data(as_text=True)
    assert "共 1 人。" in narrowed and _names(narrowed) == ["北湖居民03"]


def test_the_list_costs_the_same_however_many_people_there_are(panel, make, monkeypatch, count_queries):
    from accounts import residents

    monkeypatch.setattr(residents, "COUNT_CAP", 10)
    client = _as(panel, make, "admin")
    counts = []
    for n, name in ((3, "小村"), (30, "大村")):  # under the cap, then over it
        village = _village_of(make, n, name)
        for path in (f"/admin/residents/?unit={village.id}", f"/admin/residents/?unit={village.id}&q=北湖"):
            client.get(path)  # warm: the signed-in account is loaded once, as in any session
            with count_queries() as sql:
                page = client.get(path).get_data(as_text=True)
            counts.append(len(sql))
            assert ("超过 10 人" in page) == (n > 10), path
    assert len(set(counts)) == 1, counts


def _unit_options(page: str) -> list[str]:
    select = re.search(r'<select name="unit".*?</select>', page, re.S).group(0)
    return re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)


def test_district_staff_pick_a_town_before_its_units(panel, make):
    """Every town has its 司法所: a district's units, all in one list, cannot be told apart
    (nor drawn quickly), so district staff pick the town first; a town's staff get theirs."""
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    for town in (east, west):
        make.org_unit(name="司法所", kind="department", town=town)
    east_village = make.org_unit(name="东湖村", town=east)
    make.org_unit(name="西岭村", town=west)
    make.user(real_name="东湖居民", org_unit_id=east_village.id)
    client = _as(panel, make, "admin")

    page = client.get("/admin/residents/").get_data(as_text=True)
    assert _unit_options(page) == ["未填写所在单位"] and 'id="unit-needs-town"' in page
    picked = client.get(f"/admin/residents/?town={east.id}").get_data(as_text=True)
    assert _unit_options(picked) == ["未填写所在单位", "东湖村（村）", "东湖镇（镇）", "司法所（部门）"]
    assert 'id="unit-needs-town"' not in picked
    # A unit asked for without a town stays selected, and is the list's filter.
    asked = client.get(f"/admin/residents/?unit={east_village.id}").get_data(as_text=True)
    assert f'<option value="{east_village.id}" selected>东湖村（村）</option>' in asked and _names(asked) == ["东湖居民"]

    login(client, make.admin("admin", town_id=west.id))
    theirs = client.get("/admin/residents/").get_data(as_text=True)
    assert _unit_options(theirs) == ["未填写所在单位", "西岭村（村）", "西岭镇（镇）", "司法所（部门）"]
    assert 'id="unit-needs-town"' not in theirs


def test_phones_are_whole_for_admins_and_masked_for_the_others(panel, make):
    user = make.user(real_name="陈卫东")
    make.cadre(user, phone="13812345678")
    admin = panel.application.test_client()
    login(admin, make.admin("admin"))
    assert "13812345678" in admin.get("/admin/residents/").get_data(as_text=True)
    assert "13812345678" in admin.get(f"/admin/residents/{user.id}/").get_data(as_text=True)
    for role in ("editor", "reviewer"):
        client = panel.application.test_client()
        login(client, make.admin(role))
        for path in ("/admin/residents/", f"/admin/residents/{user.id}/", "/admin/residents/?phone=5678"):
            page = client.get(path).get_data(as_text=True)
            assert "138****5678" in page and "13812345678" not in page, (role, path)


def _table(page: str, table_id: str) -> str:
    return re.search(rf'<table[^>]*id="{table_id}".*?</table>', page, re.S).group(0)


def _busy(make, n: int):
    """A person with n of everything (ledger entries, quizzes, wrong answers, check-ins,
    redemptions, exam attempts), the newest of each marked 最新."""
    from flask import current_app

    user = make.rich_user(1000, real_name=f"忙碌的人{n}")
    cadre = make.cadre(user)
    category = make.category(name=f"民法典{n}")
    questions = make.questions(n, category)
    exam = make.exam()
    reward = make.reward(cost=1, stock=n + 5, name=f"普法手册{n}")
    start = utcnow() - timedelta(days=60)
    for i in range(n):
        when = start + timedelta(hours=i)
        newest = "最新" if i == n - 1 else ""
        ledger.credit(user.id, current_app.config["POINTS_RULES"]["checkin"], 2, f"busy:{user.id}:{i}", f"测试积分{newest}{i}", now=when)
        db.session.add(Quiz(user_id=user.id, mode="practice", category_id=category.id, status="finished", question_count=5,
                            answered_count=5, correct_count=i % 6, started_at=when, finished_at=when))
        db.session.add(WrongAnswer(user_id=user.id, question_id=questions[i].id, category_id=category.id, last_answer=["A"],
                                   wrong_count=1, last_wrong_at=when))
        event = make.event(title=f"民法典宣讲{newest}{n}-{i}", starts_at=when, ends_at=when + timedelta(hours=2))
        db.session.add(CheckIn(event_id=event.id, user_id=user.id, checked_in_at=when, points_awarded=3))
        rewards.redeem(user.id, reward.id, now=when)
        db.session.add(ExamAttempt(exam_id=exam.id, user_id=user.id, cadre_id=cadre.id, number=i + 1, status="submitted",
                                   started_at=when, deadline=when + timedelta(hours=1), submitted_at=when, score=80, passed=True,
                                   total_score=100, pass_score=60, paper=[]))
    db.session.flush()
    return user


def test_a_persons_page_costs_the_same_however_much_they_did(panel, make, count_queries):
    client = _as(panel, make, "admin")
    counts = []
    for n in (1, 30):
        user = _busy(make, n)
        client.get(f"/admin/residents/{user.id}/")  # warm: the signed-in account is loaded once, as in any session
        with count_queries() as sql:
            page = client.get(f"/admin/residents/{user.id}/").get_data(as_text=True)
        counts.append(len(sql))
        assert f"忙碌的人{n}" in page
    assert counts[0] == counts[1]
    # Newest first, and bounded: 10 of the 30 check-ins and a note saying so.
    assert page.index("民法典宣讲最新30-29") < page.index("民法典宣讲30-28")
    assert "民法典宣讲30-5" not in page and "共 30 条，只列出最近 10 条。" in page
    assert _table(page, "person-redemptions").count("普法手册30") == 10


def test_the_ledger_pages_and_every_list_reads_in_beijing_time(panel, make):
    user = _busy(make, 25)
    client = _as(panel, make, "reviewer")
    first = client.get(f"/admin/residents/{user.id}/").get_data(as_text=True)
    # 1 grant + 25 credits + 25 redemptions = 51 entries, 20 a page.
    assert "测试积分最新24" in first and "测试积分0<" not in first
    last = client.get(f"/admin/residents/{user.id}/?page=3").get_data(as_text=True)
    assert "测试积分" in last and "测试积分最新24" not in last
    assert re.search(r'href="/admin/residents/\d+/\?page=3"', first)

    night = make.user(real_name="夜里签到的人")
    event = make.event(title="跨年普法晚会", starts_at=datetime(2025, 12, 31, 16, 0), ends_at=datetime(2025, 12, 31, 18, 0))
    db.session.add(CheckIn(event_id=event.id, user_id=night.id, checked_in_at=datetime(2025, 12, 31, 17, 30)))
    db.session.flush()
    page = client.get(f"/admin/residents/{night.id}/").get_data(as_text=True)
    assert "2026-01-01 01:30" in page  # 17:30 UTC is half past one on New Year's Day in Beijing


def test_pickup_codes_are_not_on_a_persons_page(panel, make):
    user = make.rich_user(100)
    code = rewards.redeem(user.id, make.reward(cost=10, name="普法雨伞").id).pickup_code
    page = _as(panel, make, "admin").get(f"/admin/residents/{user.id}/").get_data(as_text=True)
    assert "普法雨伞" in page and code not in page


def test_no_such_person(panel, make):
    assert _as(panel, make, "reviewer").get("/admin/residents/999999/").status_code == 404
