"""What makes an exam well set up: the one place the panel (or anything else) checks it."""
from quiz_bank.exams.models import Exam
from quiz_bank.models import TYPE_LABELS
from quiz_bank.questions import active_count


def check_exam(exam: Exam) -> None:
    """Raise ValueError (a Chinese message) if the exam cannot be sat as set up."""
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
