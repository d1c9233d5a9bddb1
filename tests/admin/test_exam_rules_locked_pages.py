"""Rules that hold still, in the panel: once an exam has an attempt, saving a change to
its paper rules, duration, pass score, bands or who sits it says why and changes nothing;
the edit page says what is locked and offers a copy as a new exam."""
import re

import pytest
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from core.timeutil import local_naive
from quiz_bank.exams.models import Exam, PaperRule
from tests.admin.conftest import csrf_token_from, login
from tests.quiz_bank.test_exam_results import attempt, cadre

LOCKED = "本场考试已有 2 人次作答，组卷规则、时长、合格分、等级线和参考人员不能再修改"


@pytest.fixture
def sat(make):
    """An exam for 司法所 (5 single at 12 points, 5 true/false at 8) that two people have sat,
    another law, a second unit and a cadre to change to, and an admin to change it."""
    civil = make.category(name="民法典（面板锁定）")
    make.questions(8, civil)
    make.questions(8, civil, type="true_false")
    river = make.category(name="长江保护法（面板锁定）")
    make.questions(8, river)
    unit = make.org_unit(kind="department", name="司法所")
    other = make.org_unit(kind="department", name="执法大队")
    exam = make.exam(title="2026年度学法考试", rules=[(civil, "single", 5, 12), (civil, "true_false", 5, 8)], assign_all=False,
                     excellent_percent=90, good_percent=80)
    exam.units = [unit]
    db.session.flush()
    attempt(exam, cadre(make, unit, name="张三"), 80)
    attempt(exam, cadre(make, unit, name="李四"), status="in_progress")
    return {"exam": exam, "civil": civil, "river": river, "unit": unit, "other": other,
            "newcomer": cadre(make, other, name="王五"), "admin": make.admin("admin")}


def _form(exam: Exam) -> dict:
    """The edit form as the panel fills it in for `exam`."""
    data = {
        "title": exam.title, "kind": exam.kind, "review_policy": exam.review_policy,
        "opens_at": local_naive(exam.opens_at).strftime("%Y-%m-%d %H:%M:%S"),
        "closes_at": local_naive(exam.closes_at).strftime("%Y-%m-%d %H:%M:%S"),
        "duration_minutes": str(exam.duration_minutes), "pass_score": str(exam.pass_score),
        "attempts_allowed": str(exam.attempts_allowed), "excellent_percent": str(exam.excellent_percent),
        "good_percent": str(exam.good_percent), "units": [str(u.id) for u in exam.units],
        "cadres": ",".join(str(c.id) for c in exam.cadres),
    }
    for name in ("assign_all", "assign_new_leaders", "shuffle_options"):
        if getattr(exam, name):
            data[name] = "y"
    for i, rule in enumerate(exam.rules):
        data.update({f"rules-{i}-id": str(rule.id), f"rules-{i}-category": str(rule.category_id), f"rules-{i}-qtype": rule.qtype,
                     f"rules-{i}-count": str(rule.count), f"rules-{i}-points": str(rule.points)})
    return data


def _saved(exam_id: int) -> dict:
    """What the database holds of the exam now."""
    db.session.expire_all()
    exam = db.session.get(Exam, exam_id)
    return {
        "title": exam.title, "duration": exam.duration_minutes, "pass": exam.pass_score,
        "bands": (exam.excellent_percent, exam.good_percent), "who": (exam.assign_all, exam.assign_new_leaders),
        "units": sorted(u.id for u in exam.units), "cadres": sorted(c.id for c in exam.cadres),
        "rules": [(r.category_id, r.qtype, r.count, r.points) for r in db.session.scalars(
            select(PaperRule).where(PaperRule.exam_id == exam_id).order_by(PaperRule.id))],
    }


def _changes(w):
    return {
        "rule-count": ({"rules-0-count": "4"}, "组卷规则"),
        "rule-points": ({"rules-1-points": "6"}, "组卷规则"),
        "rule-category": ({"rules-0-category": str(w["river"].id)}, "组卷规则"),
        "rule-deleted": ({"del-rules-1": "y", "pass_score": "60"}, "组卷规则"),
        "rule-added": ({"rules-2-category": str(w["river"].id), "rules-2-qtype": "single", "rules-2-count": "1",
                        "rules-2-points": "5"}, "组卷规则"),
        "duration": ({"duration_minutes": "90"}, "时长"),
        "pass-score": ({"pass_score": "70"}, "合格分"),
        "bands": ({"excellent_percent": "95"}, "等级线"),
        "everyone": ({"assign_all": "y"}, "参考人员"),
        "units": ({"units": [str(w["unit"].id), str(w["other"].id)]}, "参考人员"),
        "cadres": ({"cadres": str(w["newcomer"].id)}, "参考人员"),
    }


CHANGES = ["rule-count", "rule-points", "rule-category", "rule-deleted", "rule-added", "duration", "pass-score", "bands",
           "everyone", "units", "cadres"]


@pytest.mark.parametrize("name", CHANGES)
def test_saving_a_locked_change_says_why_and_changes_nothing(panel, sat, name):
    exam = sat["exam"]
    before = _saved(exam.id)
    change, label = _changes(sat)[name]
    login(panel, sat["admin"])
    data = _form(exam) | change | {"title": "改名的考试"}
    r = panel.post(f"/admin/exams/edit/?id={exam.id}", data=data)
    page = r.get_data(as_text=True)
    assert r.status_code == 200  # the form again, not a redirect to the list
    assert LOCKED in page and f"这次改动了：{label}" in page and "复制为新考试" in page
    assert _saved(exam.id) == before  # not even the title, which alone could change
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity == "exam")) is None


def test_the_other_fields_still_save_after_attempts(panel, sat):
    exam = sat["exam"]
    before = _saved(exam.id)
    login(panel, sat["admin"])
    data = _form(exam) | {"title": "2026年度学法考试（延期）", "closes_at": "2030-01-10 18:00:00", "attempts_allowed": "2",
                          "review_policy": "never"}
    data.pop("shuffle_options")
    r = panel.post(f"/admin/exams/edit/?id={exam.id}", data=data)
    assert r.status_code == 302, r.get_data(as_text=True)[:2000]
    after = _saved(exam.id)
    assert after == before | {"title": "2026年度学法考试（延期）"}
    exam = db.session.get(Exam, exam.id)
    assert (exam.attempts_allowed, exam.review_policy, exam.shuffle_options) == (2, "never", False)
    assert local_naive(exam.closes_at).strftime("%Y-%m-%d %H:%M") == "2030-01-10 18:00"
    assert db.session.scalar(select(AuditLog).where(AuditLog.entity == "exam", AuditLog.action == "update")) is not None


def test_before_anyone_sits_it_the_rules_change_freely(panel, make, sat):
    fresh = make.exam(title="尚未开考的考试", rules=[(sat["civil"], "single", 5, 20)])
    login(panel, sat["admin"])
    page = panel.get(f"/admin/exams/edit/?id={fresh.id}").get_data(as_text=True)
    assert 'id="exam-locked"' not in page and "copy-exam-form" not in page
    r = panel.post(f"/admin/exams/edit/?id={fresh.id}", data=_form(fresh) | {"rules-0-count": "6", "pass_score": "70"})
    assert r.status_code == 302
    assert _saved(fresh.id)["rules"] == [(sat["civil"].id, "single", 6, 20)] and _saved(fresh.id)["pass"] == 70


def test_the_edit_page_says_what_is_locked_and_offers_a_copy(panel, sat):
    login(panel, sat["admin"])
    page = panel.get(f"/admin/exams/edit/?id={sat['exam'].id}").get_data(as_text=True)
    notice = page.split('id="exam-locked"')[1].split("</div>")[0]
    assert "本场考试已有 <strong>2</strong> 人次作答" in notice
    for text in ("组卷规则", "时长", "合格分", "等级线", "参考人员", "已锁定", "考试名称、开放和关闭时间"):
        assert text in notice
    form = notice.split('id="copy-exam-form"')[1].split("</form>")[0]
    assert f'action="/admin/exams/{sat["exam"].id}/copy"' in notice and 'name="csrf_token"' in form
    assert "复制为新考试</button>" in form
    # The notice stands before the exam's own form, never inside it.
    assert page.index('id="copy-exam-form"') < page.index('class="admin-form')


def test_the_copy_button_makes_an_editable_copy_with_the_same_rules(app, make, sat):
    """CSRF on, as in production: the button's form carries the token."""
    exam = sat["exam"]
    client = app.test_client()
    token = csrf_token_from(client.get("/admin/auth/login").get_data(as_text=True))
    r = client.post("/admin/auth/login", data={"username": sat["admin"].username, "password": "correct-horse", "csrf_token": token})
    assert r.status_code == 302
    page = client.get(f"/admin/exams/edit/?id={exam.id}").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.split('id="copy-exam-form"')[1].split("</form>")[0]).group(1)
    assert client.post(f"/admin/exams/{exam.id}/copy").status_code == 400  # no token: refused
    assert db.session.scalar(select(Exam).where(Exam.title == "2026年度学法考试（副本）")) is None

    r = client.post(f"/admin/exams/{exam.id}/copy", data={"csrf_token": token})
    assert r.status_code == 302
    copy = db.session.scalar(select(Exam).where(Exam.title == "2026年度学法考试（副本）"))
    assert r.headers["Location"].endswith(f"/admin/exams/edit/?id={copy.id}")
    original = _saved(exam.id)
    assert _saved(copy.id) == original | {"title": "2026年度学法考试（副本）"}
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "exam", AuditLog.action == "create"))
    assert entry.admin_id == sat["admin"].id and entry.entity_id == str(copy.id) and "2026年度学法考试" in entry.summary
    page = client.get(r.headers["Location"]).get_data(as_text=True)
    assert "已复制为新考试“2026年度学法考试（副本）”" in page and 'id="exam-locked"' not in page

    # The copy takes the change the original refused; the original keeps its rules.
    form = _form(db.session.get(Exam, copy.id)) | {"pass_score": "70", "rules-0-count": "6"}
    form["csrf_token"] = csrf_token_from(page)
    assert client.post(f"/admin/exams/edit/?id={copy.id}", data=form).status_code == 302
    assert _saved(copy.id)["pass"] == 70 and _saved(copy.id)["rules"][0] == (sat["civil"].id, "single", 6, 12)
    assert _saved(exam.id) == original


def test_roles_without_edit_rights_cannot_copy(panel, make, sat):
    exam = sat["exam"]
    for role in ("editor", "reviewer"):
        client = panel.application.test_client()
        login(client, make.admin(role))
        assert client.post(f"/admin/exams/{exam.id}/copy").status_code == 403
        assert client.get(f"/admin/exams/edit/?id={exam.id}").status_code == 403  # nor see the button
    assert db.session.scalars(select(Exam.title)).all() == ["2026年度学法考试"]


def test_deleting_an_exam_is_refused_with_why(panel, make, sat):
    login(panel, sat["admin"])
    r = panel.post("/admin/exams/delete/", data={"id": str(sat["exam"].id)}, follow_redirects=True)
    assert r.status_code == 200 and "本场考试已有 2 人次作答，不能删除" in r.get_data(as_text=True)
    fresh = make.exam(title="尚未开考的考试", rules=[(sat["civil"], "single", 5, 20)])
    r = panel.post("/admin/exams/delete/", data={"id": str(fresh.id)}, follow_redirects=True)
    assert "考试不能在管理后台删除" in r.get_data(as_text=True)
    assert db.session.get(Exam, sat["exam"].id) is not None and db.session.get(Exam, fresh.id) is not None
    reviewer = panel.application.test_client()
    login(reviewer, make.admin("reviewer"))
    assert reviewer.post("/admin/exams/delete/", data={"id": str(fresh.id)}).status_code == 403
