"""An event's page in the panel: who checked in, its on-site quiz results, and the workbook."""
import io
import re
from datetime import datetime, timedelta

from openpyxl import load_workbook

from activities.models import CheckIn
from core.extensions import db
from quiz_bank.models import Quiz
from tests.admin.conftest import login

STARTS = datetime(2026, 3, 15, 1, 0)  # 09:00 in Beijing


def _event_with(make, people: int, quiz_takers: int, title: str = "民法典进村宣讲"):
    village = make.org_unit(name="东湖村")
    event = make.event(title=title, starts_at=STARTS, ends_at=STARTS + timedelta(hours=3), quiz_category_id=make.category().id)
    users = [make.user(real_name=f"居民{i:03d}", nickname=f"昵称{i:03d}", org_unit_id=village.id if i % 2 else None)
             for i in range(people)]
    for i, user in enumerate(users):
        db.session.add(CheckIn(event_id=event.id, user_id=user.id, checked_in_at=STARTS + timedelta(minutes=i), points_awarded=3))
    for i, user in enumerate(users[:quiz_takers]):
        db.session.add(Quiz(user_id=user.id, mode="event", event_id=event.id, status="finished", question_count=5,
                            answered_count=5, correct_count=i % 6, points_awarded=2 * (i % 6),
                            started_at=STARTS + timedelta(minutes=30), finished_at=STARTS + timedelta(minutes=40 + i)))
    event.checkin_count = people
    db.session.flush()
    return event, users


def _client(panel, make, role="reviewer"):
    login(panel, make.admin(role))
    return panel


def test_the_page_lists_who_came_and_how_they_did_in_the_quiz(panel, make):
    event, users = _event_with(make, 4, 3)
    opened = make.user(real_name="只打开没作答")  # a quiz opened and left is no participation
    db.session.add(Quiz(user_id=opened.id, mode="event", event_id=event.id, question_count=5, started_at=STARTS))
    db.session.flush()
    page = _client(panel, make).get(f"/admin/events/{event.id}/attendance").get_data(as_text=True)
    assert "签到 <strong>4</strong> 人；现场答题 <strong>3</strong> 人" in page and "答对 3 道，正确率 20.0%" in page
    checked = re.search(r'id="attendance-list".*?</table>', page, re.S).group(0)
    assert re.findall(r"居民\d{3}", checked) == ["居民000", "居民001", "居民002", "居民003"]
    assert "2026-03-15 09:01" in checked and "东湖村" in checked and "未填写" in checked
    quiz = re.search(r'id="quiz-results".*?</table>', page, re.S).group(0)
    assert re.findall(r"居民\d{3}", quiz) == ["居民002", "居民001", "居民000"]  # most correct first
    assert "2 / 5 / 5" in quiz and "只打开没作答" not in quiz


def test_the_event_list_links_to_it_for_every_role(panel, make):
    event, _ = _event_with(make, 1, 0)
    for role in ("admin", "editor", "reviewer"):
        client = panel.application.test_client()
        login(client, make.admin(role))
        assert f"/admin/events/{event.id}/attendance" in client.get("/admin/events/").get_data(as_text=True)


def test_both_lists_page_on_their_own(panel, make):
    event, _ = _event_with(make, 120, 60)
    client = _client(panel, make)
    page = client.get(f"/admin/events/{event.id}/attendance?page=3&qpage=2").get_data(as_text=True)
    checked = re.search(r'id="attendance-list".*?</table>', page, re.S).group(0)
    assert re.findall(r"居民\d{3}", checked) == [f"居民{i:03d}" for i in range(100, 120)]
    # Each list's page links keep the other list's page.
    assert re.search(rf'href="/admin/events/{event.id}/attendance\?[^"]*page=1[^"]*qpage=2|'
                     rf'href="/admin/events/{event.id}/attendance\?[^"]*qpage=2[^"]*page=1', page.replace("&amp;", "&"))
    quiz = re.search(r'id="quiz-results".*?</table>', page, re.S).group(0)
    assert len(re.findall(r"居民\d{3}", quiz)) == 10


def test_the_page_costs_the_same_however_many_came(panel, make, count_queries):
    client = _client(panel, make)
    counts = []
    for people in (1, 150):
        event, _ = _event_with(make, people, people, title=f"宣讲{people}")
        client.get(f"/admin/events/{event.id}/attendance")
        with count_queries() as sql:
            assert client.get(f"/admin/events/{event.id}/attendance").status_code == 200
        counts.append(len(sql))
    assert counts[0] == counts[1]


def test_the_workbook_has_the_sign_in_list_and_the_quiz(panel, make):
    event, users = _event_with(make, 3, 2)
    users[0].real_name = "=1+1"
    db.session.flush()
    r = _client(panel, make).get(f"/admin/events/{event.id}/attendance.xlsx")
    assert r.status_code == 200 and r.headers["Content-Disposition"].startswith("attachment")
    book = load_workbook(io.BytesIO(r.get_data()))
    assert book.sheetnames == ["签到名单", "现场答题"]
    signed = list(book["签到名单"].iter_rows(values_only=True))
    assert signed[0] == ("序号", "姓名", "昵称", "村/社区", "签到时间", "签到积分")
    assert signed[1] == (1, "'=1+1", "昵称000", "未填写", datetime(2026, 3, 15, 9, 0), 3)
    assert len(signed) == 4
    quiz = list(book["现场答题"].iter_rows(values_only=True))
    assert quiz[1][1:8] == ("居民001", "昵称001", "东湖村", 1, 5, 5, 2) and len(quiz) == 3


def test_no_such_event(panel, make):
    assert _client(panel, make).get("/admin/events/999999/attendance").status_code == 404


def test_the_page_compares_attendees_and_others_before_and_after(panel, make):
    from tests.reports.town import answers

    law = make.category(name="宪法（测试）")
    qs = make.questions(5, law)
    starts = datetime(2025, 3, 15, 1, 0)
    event = make.event(title="宪法进万家", starts_at=starts, ends_at=starts + timedelta(hours=2), quiz_category_id=law.id)
    came, away = make.user(), make.user()
    db.session.add(CheckIn(event_id=event.id, user_id=came.id, checked_in_at=starts))
    answers(came, "practice", starts - timedelta(days=3), [(q, i < 2) for i, q in enumerate(qs)], law)     # 2 of 5
    answers(came, "event", starts + timedelta(minutes=30), [(q, i < 4) for i, q in enumerate(qs)], at_event=event)
    answers(came, "daily", event.ends_at + timedelta(days=5), [(q, True) for q in qs])                     # 5 of 5
    answers(away, "practice", starts - timedelta(days=8), [(q, i < 2) for i, q in enumerate(qs[:4])], law)  # 2 of 4
    answers(away, "practice", event.ends_at + timedelta(days=9), [(q, i < 3) for i, q in enumerate(qs)], law)  # 3 of 5
    db.session.flush()
    page = _client(panel, make).get(f"/admin/events/{event.id}/attendance").get_data(as_text=True)
    summary = re.search(r'id="learning-gain-summary">(.*?)</div>', page, re.S).group(1)
    assert re.findall(r"<p[^>]*>(.*?)</p>", summary) == [
        "到场者活动后30天的正确率比活动前30天提高60.0个百分点（40.0% → 100.0%）。",
        "未到场者活动后30天的正确率比活动前30天提高10.0个百分点（50.0% → 60.0%）。",
        "到场者比未到场的人多提高 50.0 个百分点。",
        "有的时段答题不足5道（样本太少），以上比较仅供参考。",
    ]
    table = re.search(r'id="learning-gain".*?</table>', page, re.S).group(0)
    rows = {key: re.sub(r"<[^>]+>|\s+", " ", row).split() for key, row in re.findall(r'data-group="(\w+)">(.*?)</tr>', table, re.S)}
    assert " ".join(rows["attendees"]) == ("到场者 40.0% 1 人，答题 5 道，答对 2 道 80.0% 1 人，答题 5 道，答对 4 道 "
                                           "100.0% 1 人，答题 5 道，答对 5 道 +60.0")
    assert " ".join(rows["others"]) == ("未到场者 50.0% 样本太少 1 人，答题 4 道，答对 2 道 — 0 人，答题 0 道，答对 0 道 "
                                        "60.0% 1 人，答题 5 道，答对 3 道 +10.0 样本太少")


def test_an_event_without_an_on_site_quiz_has_no_gain_table(panel, make):
    event = make.event(title="普法宣讲", starts_at=STARTS, ends_at=STARTS + timedelta(hours=2))
    page = _client(panel, make).get(f"/admin/events/{event.id}/attendance").get_data(as_text=True)
    assert "id=\"event-title\"" in page and "learning-gain" not in page
