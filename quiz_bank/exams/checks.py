"""What makes an exam well set up, and what may no longer change once people have sat it:
the one place the panel (or anything else) checks it."""
from sqlalchemy import func, inspect, select

from core.extensions import db
from quiz_bank.exams.models import Exam, ExamAttempt, PaperRule
from quiz_bank.models import TYPE_LABELS
from quiz_bank.questions import active_count

# What decides a result, by what the panel calls it: once an attempt exists these hold
# still, so every result of one exam is judged by the same paper, time, pass score and
# bands, among the same people. The rest (title, times, review policy, shuffling, the
# number of tries) may still change.
LOCKED_LABELS = ("组卷规则", "时长", "合格分", "等级线", "参考人员")
LOCKED_COLUMNS = {
    "duration_minutes": "时长", "pass_score": "合格分", "excellent_percent": "等级线", "good_percent": "等级线",
    "assign_all": "参考人员", "assign_new_leaders": "参考人员",
}
LOCKED_COLLECTIONS = {"units": "参考人员", "cadres": "参考人员"}
RULE_COLUMNS = ("category_id", "qtype", "count", "points")
COPY_ACTION = "复制为新考试"


def check_exam(exam: Exam) -> None:
    """Raise ValueError (a Chinese message) if the exam cannot be sat as set up, or if it
    changes what may no longer change (check_rules_hold_still)."""
    # First: the history of an unsaved change is gone once the session flushes, and the
    # checks below query.
    check_rules_hold_still(exam)
    if exam.closes_at <= exam.opens_at:
        raise ValueError("关闭时间须晚于开放时间。")
    if exam.good_percent > exam.excellent_percent:
        raise ValueError("良好线不能高于优秀线。")
    if not (exam.assign_all or exam.assign_new_leaders or exam.units or exam.cadres):
        raise ValueError("请选择参加考试的人员：全体干部、新提拔干部、单位或指定人员。")
    if not exam.rules:
        raise ValueError("请至少添加一条组卷规则。")
    seen = set()
    for rule in exam.rules:
        if rule.category is None:
            raise ValueError("组卷规则须选择法律分类。")
        rule.category_id = rule.category.id
        if (rule.category_id, rule.qtype) in seen:
            raise ValueError(f"“{rule.category.name}”的{TYPE_LABELS[rule.qtype]}题有两条规则，请合并。")
        seen.add((rule.category_id, rule.qtype))
        available = active_count(rule.category_id, rule.qtype)
        if rule.count > available:
            raise ValueError(f"“{rule.category.name}”启用的{TYPE_LABELS[rule.qtype]}题只有 {available} 道，不够抽 {rule.count} 道。")
    if exam.pass_score > exam.total_score:
        raise ValueError(f"合格分（{exam.pass_score}）高于试卷总分（{exam.total_score}）。")


def attempt_count(exam: Exam) -> int:
    """How many attempts (人次) the exam has: finished, in progress or timed out."""
    if exam.id is None:
        return 0
    with db.session.no_autoflush:
        return db.session.scalar(select(func.count()).select_from(ExamAttempt).where(ExamAttempt.exam_id == exam.id))


def locked_changes(exam: Exam) -> list[str]:
    """What of the locked part the unsaved change in the session alters, by the panel's
    names, in the order of LOCKED_LABELS; empty for an exam not yet saved.

    Read from SQLAlchemy's attribute history, so it must run before the change is
    flushed."""
    state = inspect(exam)
    if not state.persistent:
        return []
    with db.session.no_autoflush:
        changed = {LOCKED_COLUMNS[name] for name in _changed_columns(exam, LOCKED_COLUMNS)}
        changed.update(label for name, label in LOCKED_COLLECTIONS.items() if state.attrs[name].history.has_changes())
        if _rules_changed(exam):
            changed.add("组卷规则")
    return [label for label in LOCKED_LABELS if label in changed]


def check_rules_hold_still(exam: Exam) -> None:
    """Raise ValueError (a Chinese message naming what may not change) if the exam has an
    attempt and the unsaved change alters its paper rules, duration, pass score, bands
    or who sits it."""
    changed = locked_changes(exam)
    if not changed:
        return
    attempts = attempt_count(exam)
    if attempts:
        raise ValueError(
            f"本场考试已有 {attempts} 人次作答，{'、'.join(LOCKED_LABELS[:-1])}和{LOCKED_LABELS[-1]}不能再修改"
            f"（这次改动了：{'、'.join(changed)}）；"
            f"如需调整，请用“{COPY_ACTION}”。"
        )


def check_exam_deletable(exam: Exam) -> None:
    """Raise ValueError (a Chinese message) if the exam has attempts: their results,
    certificates and make-ups all rest on it."""
    attempts = attempt_count(exam)
    if attempts:
        raise ValueError(f"本场考试已有 {attempts} 人次作答，不能删除：成绩和合格证书都以它为依据。")


def _rules_changed(exam: Exam) -> bool:
    history = inspect(exam).attrs.rules.history
    if history.added or history.deleted:
        return True
    return any(_rule_changed(rule) for rule in exam.rules)


def _rule_changed(rule: PaperRule) -> bool:
    # The panel deletes a rule from the session, leaving it in the list until the flush.
    if not inspect(rule).persistent or rule in db.session.deleted:
        return True
    if _changed_columns(rule, RULE_COLUMNS):
        return True
    # The panel sets the category, not its id (check_exam copies it across afterwards).
    return (rule.category.id if rule.category is not None else None) != rule.category_id


def _changed_columns(obj, names) -> set[str]:
    """Which of the column attributes `names` the unsaved change alters.

    The history knows the old value of an attribute loaded before it was set. One set
    while expired (after a commit, as the panel's unit of work makes one before the form
    fills the model in) was never loaded: the history only has the new value, and the
    stored row says whether it differs."""
    state = inspect(obj)
    changed, unsure = set(), {}
    for name in names:
        history = state.attrs[name].history
        if history.deleted:
            changed.add(name)  # scalars: a different value (an equal one is no change)
        elif history.added:
            unsure[name] = history.added[0]
    if unsure:
        mapper = state.mapper
        stored = db.session.execute(
            select(*(mapper.columns[name] for name in unsure)).where(mapper.primary_key[0] == state.identity[0])
        ).one()
        changed.update(name for name, value in zip(unsure, stored) if value != unsure[name])
    return changed
