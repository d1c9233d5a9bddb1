"""Rules that hold still: once an exam has an attempt, its paper rules, duration, pass
score, bands and who sits it cannot change (the rest still can); a copy as a new exam is
the way to change them."""
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from core.extensions import db
from core.timeutil import utcnow
from quiz_bank.exams.checks import check_exam, check_exam_deletable
from quiz_bank.exams.copying import copy_exam
from quiz_bank.exams.models import Exam, ExamAttempt, PaperRule
from tests.quiz_bank.test_exam_results import attempt, cadre


@pytest.fixture
def world(make):
    """An exam on 民法典 (5 single at 12 points, 5 true/false at 8; pass 60) for unit 司法所
    and one named cadre from 党政办, with a second law, unit and cadre to change to."""
    civil = make.category(name="民法典（锁定）")
    make.questions(8, civil)
    make.questions(8, civil, type="true_false")
    make.questions(8, civil, type="multiple")
    river = make.category(name="长江保护法（锁定）")
    make.questions(8, river)
    unit = make.org_unit(kind="department", name="司法所")
    other_unit = make.org_unit(kind="department", name="执法大队")
    office = make.org_unit(kind="department", name="党政办")
    exam = make.exam(rules=[(civil, "single", 5, 12), (civil, "true_false", 5, 8)], assign_all=False,
                     excellent_percent=90, good_percent=80)
    sitter = cadre(make, unit, name="张三")
    named = cadre(make, office, name="李四")
    exam.units = [unit]
    exam.cadres = [named]
    db.session.flush()
    return {"exam": exam, "civil": civil, "river": river, "unit": unit, "other_unit": other_unit,
            "sitter": sitter, "named": named, "newcomer": cadre(make, other_unit, name="王五")}


def _sat(world, make, n=1):
    """n people of 司法所 have sat the exam (张三 first)."""
    for i in range(n):
        attempt(world["exam"], world["sitter"] if i == 0 else cadre(make, world["unit"]), 80)


def _remove_rule(w):
    w["exam"].rules.remove(w["exam"].rules[1])


def _delete_rule(w):
    # As the panel does: the row is deleted from the session, the list keeps it until the flush.
    db.session.delete(w["exam"].rules[1])
    w["exam"].rules[0].count = 5  # nothing else changes


def _set(name, value):
    def change(w):
        setattr(w["exam"], name, value(w) if callable(value) else value)
    return change


def _rule(index, name, value):
    def change(w):
        setattr(w["exam"].rules[index], name, value(w) if callable(value) else value)
    return change


LOCKED = [
    pytest.param(_rule(0, "count", 4), "组卷规则", id="rule-count"),
    pytest.param(_rule(0, "points", 15), "组卷规则", id="rule-points"),
    pytest.param(_rule(0, "qtype", "multiple"), "组卷规则", id="rule-qtype"),
    pytest.param(_rule(0, "category", lambda w: w["river"]), "组卷规则", id="rule-category"),
    pytest.param(_rule(0, "category_id", lambda w: w["river"].id), "组卷规则", id="rule-category-id"),
    pytest.param(lambda w: w["exam"].rules.append(PaperRule(category=w["river"], qtype="single", count=2, points=5)),
                 "组卷规则", id="rule-added"),
    pytest.param(_remove_rule, "组卷规则", id="rule-removed"),
    pytest.param(_delete_rule, "组卷规则", id="rule-deleted"),
    pytest.param(_set("duration_minutes", 90), "时长", id="duration"),
    pytest.param(_set("pass_score", 70), "合格分", id="pass-score"),
    pytest.param(_set("excellent_percent", 95), "等级线", id="excellent"),
    pytest.param(_set("good_percent", 70), "等级线", id="good"),
    pytest.param(_set("assign_all", True), "参考人员", id="assign-all"),
    pytest.param(_set("assign_new_leaders", True), "参考人员", id="new-leaders"),
    pytest.param(lambda w: w["exam"].units.append(w["other_unit"]), "参考人员", id="unit-added"),
    pytest.param(_set("units", []), "参考人员", id="units-emptied"),
    pytest.param(lambda w: w["exam"].cadres.append(w["newcomer"]), "参考人员", id="cadre-added"),
    pytest.param(_set("cadres", lambda w: [w["newcomer"]]), "参考人员", id="cadre-replaced"),
]


@pytest.mark.parametrize("change,label", LOCKED)
def test_a_locked_change_is_allowed_before_anyone_sits_the_exam(world, change, label):
    change(world)
    check_exam(world["exam"])
    db.session.flush()


@pytest.mark.parametrize("change,label", LOCKED)
def test_a_locked_change_is_refused_once_an_attempt_exists(world, make, change, label):
    _sat(world, make)
    change(world)
    with pytest.raises(ValueError) as refused:
        check_exam(world["exam"])
    message = str(refused.value)
    assert message.startswith("本场考试已有 1 人次作答，组卷规则、时长、合格分、等级线和参考人员不能再修改")
    assert f"这次改动了：{label}）" in message and message.endswith("如需调整，请用“复制为新考试”。")


def test_an_in_progress_attempt_locks_too_and_the_message_counts_attempts(world):
    attempt(world["exam"], world["sitter"], status="in_progress")
    attempt(world["exam"], world["named"], 50)
    attempt(world["exam"], world["named"], 70, number=2)
    world["exam"].pass_score = 70
    world["exam"].units = []
    with pytest.raises(ValueError) as refused:
        check_exam(world["exam"])
    assert str(refused.value) == ("本场考试已有 3 人次作答，组卷规则、时长、合格分、等级线和参考人员不能再修改"
                                  "（这次改动了：合格分、参考人员）；如需调整，请用“复制为新考试”。")


UNLOCKED = [
    pytest.param(_set("title", "2026年度学法考试（延期）"), id="title"),
    pytest.param(_set("opens_at", lambda w: w["exam"].opens_at - timedelta(hours=2)), id="opens-at"),
    pytest.param(_set("closes_at", lambda w: w["exam"].closes_at + timedelta(days=3)), id="closes-at"),
    pytest.param(_set("review_policy", "never"), id="review-policy"),
    pytest.param(_set("shuffle_options", False), id="shuffle"),
    pytest.param(_set("attempts_allowed", 2), id="attempts-allowed"),
]


@pytest.mark.parametrize("change", UNLOCKED)
def test_other_fields_still_change_after_attempts(world, make, change):
    _sat(world, make)
    change(world)
    check_exam(world["exam"])
    db.session.flush()


def test_setting_locked_fields_to_what_they_are_is_no_change(world, make):
    """The panel sends every field back on each save: the same values change nothing."""
    _sat(world, make)
    exam = world["exam"]
    exam.title = "改过名字的考试"
    for name in ("duration_minutes", "pass_score", "excellent_percent", "good_percent", "assign_all", "assign_new_leaders"):
        setattr(exam, name, getattr(exam, name))
    exam.units = list(exam.units)
    exam.cadres = list(exam.cadres)
    for rule in exam.rules:
        rule.category, rule.qtype, rule.count, rule.points = rule.category, rule.qtype, rule.count, rule.points
    check_exam(exam)
    db.session.flush()


def test_changes_made_after_a_commit_are_seen_too(world, make):
    """After a commit every attribute is expired: one set then was never loaded, so its
    history alone cannot say whether it changed (the panel's save is such a case)."""
    _sat(world, make)
    exam = world["exam"]
    db.session.expire_all()
    exam.pass_score, exam.duration_minutes, exam.assign_all = 60, 60, False  # what they are
    exam.title = "只改名字"
    check_exam(exam)
    db.session.flush()
    rule = exam.rules[0]
    db.session.expire_all()
    rule.count = 4
    exam.good_percent = 75
    with pytest.raises(ValueError, match="这次改动了：组卷规则、等级线）"):
        check_exam(exam)


def test_a_new_exam_is_never_locked(world):
    exam = Exam(title="新考试", opens_at=utcnow(), closes_at=utcnow() + timedelta(days=1), duration_minutes=30, pass_score=6, excellent_percent=90, good_percent=80,
                assign_all=True, rules=[PaperRule(category=world["civil"], qtype="single", count=1, points=10)])
    db.session.add(exam)
    check_exam(exam)


def test_an_exam_with_attempts_cannot_be_deleted(world, make):
    check_exam_deletable(world["exam"])
    _sat(world, make, 2)
    with pytest.raises(ValueError, match="本场考试已有 2 人次作答，不能删除"):
        check_exam_deletable(world["exam"])


# -- the way out: a copy as a new exam ------------------------------------------------------


def _settings(exam):
    return {name: getattr(exam, name) for name in (
        "kind", "opens_at", "closes_at", "duration_minutes", "pass_score", "attempts_allowed", "assign_all",
        "assign_new_leaders", "shuffle_options", "review_policy", "excellent_percent", "good_percent", "makeup_of_id")}


def test_a_copy_has_the_same_settings_rules_and_people_and_no_attempts(world, make):
    _sat(world, make, 2)
    exam = world["exam"]
    exam.review_policy, exam.shuffle_options, exam.attempts_allowed = "never", False, 2
    db.session.flush()
    copy = copy_exam(exam)
    assert copy.id != exam.id and copy.title == exam.title + "（副本）"
    assert _settings(copy) == _settings(exam)
    assert [(r.category_id, r.qtype, r.count, r.points) for r in copy.rules] == [
        (world["civil"].id, "single", 5, 12), (world["civil"].id, "true_false", 5, 8)]
    assert {r.id for r in copy.rules}.isdisjoint({r.id for r in exam.rules})
    assert copy.units == [world["unit"]] and copy.cadres == [world["named"]]
    assert db.session.scalar(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.exam_id == copy.id)) == 0
    # The original is untouched, and the copy may change what the original may not.
    assert len(exam.rules) == 2 and exam.units == [world["unit"]]
    copy.pass_score = 70
    copy.rules[0].count = 6
    copy.units.append(world["other_unit"])
    check_exam(copy)
    db.session.flush()


def test_a_copys_title_stays_within_200_characters(world):
    world["exam"].title = "长" * 200
    db.session.flush()
    copy = copy_exam(world["exam"])
    assert len(copy.title) == 200 and copy.title.endswith("（副本）")
