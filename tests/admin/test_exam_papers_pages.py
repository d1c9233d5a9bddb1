"""Publishing an exam in the panel draws everyone's paper: saving it draws a paper for
each assigned cadre (afresh while nobody has sat it, as the rules may have changed), and
the edit page says how many are ready."""
from sqlalchemy import func, select

from core.extensions import db
from quiz_bank.exams.models import ExamPaper
from tests.admin.conftest import login
from tests.admin.test_exam_rules_locked_pages import _form, sat  # noqa: F401 (fixture)
from tests.quiz_bank.test_exam_results import cadre


def _papers(exam_id):
    return db.session.execute(select(ExamPaper.cadre_id, ExamPaper.items).where(ExamPaper.exam_id == exam_id)).all()


def test_saving_an_exam_draws_a_paper_for_each_cadre_and_redraws_until_sat(panel, make, sat):
    unit = make.org_unit(kind="village", name="东湖村")
    people = [cadre(make, unit, name=name) for name in ("赵一", "钱二", "孙三")]
    fresh = make.exam(title="尚未开考的考试", rules=[(sat["civil"], "single", 5, 20)], assign_all=False)
    fresh.units = [unit]
    db.session.flush()
    login(panel, sat["admin"])
    r = panel.post(f"/admin/exams/edit/?id={fresh.id}", data=_form(fresh), follow_redirects=True)
    assert "已为参考人员备好试卷 3 份" in r.get_data(as_text=True)
    first = dict(_papers(fresh.id))
    assert set(first) == {c.id for c in people} and all(len(items) == 5 for items in first.values())
    page = panel.get(f"/admin/exams/edit/?id={fresh.id}").get_data(as_text=True)
    assert "已备好试卷 <strong>3</strong> 份" in page
    # A rule changed before anyone sat it: the ready papers follow the new rule.
    r = panel.post(f"/admin/exams/edit/?id={fresh.id}", data=_form(fresh) | {"rules-0-count": "6", "rules-0-points": "10"})
    assert r.status_code == 302
    assert all(len(items) == 6 and all(points == 10 for _, points, _ in items) for _, items in _papers(fresh.id))


def test_saving_a_sat_exam_only_tops_up_papers_for_those_without(panel, sat):
    login(panel, sat["admin"])
    exam = sat["exam"]
    r = panel.post(f"/admin/exams/edit/?id={exam.id}", data=_form(exam) | {"title": "2026年度学法考试（改名）"}, follow_redirects=True)
    assert "已为参考人员备好试卷" in r.get_data(as_text=True)
    # 张三 and 李四 have attempts; nobody else in 司法所.
    assert db.session.scalar(select(func.count()).where(ExamPaper.exam_id == exam.id)) == 0
