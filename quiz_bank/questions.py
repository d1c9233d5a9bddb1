"""Questions: the rules of a well-formed question, and editing without rewriting history."""
import hashlib
import json
import re
import unicodedata

from sqlalchemy import exists, func, select, update

from core.extensions import db
from quiz_bank.models import QUESTION_STATUSES, QUESTION_TYPES, TRUE_FALSE_OPTIONS, Category, Question, QuizItem

OPTION_KEYS = "ABCDEFGH"
SOURCE_RE = re.compile(r"^《[^《》]+》第[零〇一二三四五六七八九十百千]+条(之[一二三四五六七八九十]+)?(第[一二三四五六七八九十]+款)?(第[一二三四五六七八九十]+项)?$")
CONTENT_FIELDS = ("category_id", "type", "stem", "options", "answer", "explanation", "source", "difficulty")


class QuestionInvalid(ValueError):
    """Carries a list of Chinese messages, one per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("；".join(problems))
        self.problems = problems


def citation_problem(source: str) -> str | None:
    """Why a citation is not one a served question may carry, or None when it is."""
    if not source:
        return "出处须写成《法律简称》第X条，例如《民法典》第一千零七十九条；这道题没有填写出处。"
    if not SOURCE_RE.match(source):
        return f"出处须写成《法律简称》第X条，例如《民法典》第一千零七十九条；“{source}”不是这样写的。"
    return None


def normalise(data: dict, cite: bool = True) -> dict:
    """Check a question's parts and return them in canonical form, or raise QuestionInvalid.
    `cite`: the citation must be well formed too (an import checks it apart: a question
    without one is kept for review, not refused)."""
    problems = []
    qtype = data.get("type")
    if qtype not in QUESTION_TYPES:
        problems.append("题型必须是单选、多选或判断。")
    stem = (data.get("stem") or "").strip()
    if not stem:
        problems.append("题干不能为空。")
    if qtype == "true_false":
        options = [dict(o) for o in TRUE_FALSE_OPTIONS]
    else:
        options = [{"key": o["key"].strip().upper(), "text": (o.get("text") or "").strip()} for o in data.get("options") or []]
        options = [o for o in options if o["text"]]
        keys = [o["key"] for o in options]
        if len(options) < 2:
            problems.append("至少需要两个选项。")
        if keys != list(OPTION_KEYS[: len(keys)]):
            problems.append("选项须从 A 起按顺序编号，最多到 H。")
        if len({o["text"] for o in options}) != len(options):
            problems.append("选项内容不能重复。")
    keys = {o["key"] for o in options}
    answer = sorted({str(a).strip().upper() for a in data.get("answer") or []})
    if not answer:
        problems.append("答案不能为空。")
    elif not set(answer) <= keys:
        problems.append(f"答案 {''.join(sorted(set(answer) - keys))} 不在选项中。")
    elif qtype in ("single", "true_false") and len(answer) != 1:
        problems.append("单选题和判断题只能有一个正确答案。")
    elif qtype == "multiple" and len(answer) < 2:
        problems.append("多选题至少要有两个正确答案。")
    source = (data.get("source") or "").strip()
    if cite and citation_problem(source):
        problems.append(citation_problem(source))
    try:
        difficulty = int(data.get("difficulty") or 1)
    except (TypeError, ValueError):
        difficulty = 0
    if difficulty not in (1, 2, 3):
        problems.append("难度须为 1、2 或 3。")
    if problems:
        raise QuestionInvalid(problems)
    return {
        "category_id": data.get("category_id"), "type": qtype, "stem": stem, "options": options,
        "answer": answer, "explanation": (data.get("explanation") or "").strip(), "source": source,
        "difficulty": difficulty,
    }


def fingerprint(category_id: int | str, qtype: str, stem: str, options: list, answer: list) -> str:
    raw = json.dumps([category_id, qtype, stem, [o["text"] for o in options], answer], ensure_ascii=False)
    return hashlib.sha256(raw.encode()).hexdigest()


def create_question(data: dict) -> Question:
    """A new question; `data` may carry exam_only (仅用于考试) besides its content."""
    clean = normalise(data)
    question = Question(**clean, exam_only=bool(data.get("exam_only")),
                        fingerprint=fingerprint(clean["category_id"], clean["type"], clean["stem"], clean["options"], clean["answer"]))
    db.session.add(question)
    db.session.flush()
    recount({question.category_id})
    return question


def has_been_given(question: Question) -> bool:
    from quiz_bank.exams.models import AttemptItem, ExamAttempt, PaperRule

    # An attempt in progress has rows only for what was answered so far: one whose exam
    # draws on this law and type may hold the question unanswered, so counts as given.
    on_open_paper = exists().where(
        ExamAttempt.status == "in_progress", PaperRule.exam_id == ExamAttempt.exam_id,
        PaperRule.category_id == question.category_id, PaperRule.qtype == question.type,
    )
    return db.session.scalar(select(
        exists().where(QuizItem.question_id == question.id) | exists().where(AttemptItem.question_id == question.id)
        | on_open_paper
    ))


def edit_question(question: Question, data: dict) -> Question:
    """Apply an edit of the content (CONTENT_FIELDS). A question already given to someone
    is not rewritten: the edit becomes a new version and the old one is retired, so past
    answers stay true. Where it may be served (exam_only) is set apart, by set_exam_only."""
    newer = db.session.scalar(select(Question.id).where(Question.previous_id == question.id))
    if newer is not None:
        raise QuestionInvalid([f"该题已有新版本（编号 {newer}），请编辑新版本。"])
    clean = normalise({**{f: getattr(question, f) for f in CONTENT_FIELDS}, **data})
    if all(getattr(question, f) == clean[f] for f in CONTENT_FIELDS):
        return question
    fp = fingerprint(clean["category_id"], clean["type"], clean["stem"], clean["options"], clean["answer"])
    laws = {(question.category_id, question.type), (clean["category_id"], clean["type"])}
    if not has_been_given(question):
        for field, value in clean.items():
            setattr(question, field, value)
        question.fingerprint = fp
        if question.status == "recheck":
            question.status, question.review_note = "active", None
        db.session.flush()
        _redraw_papers(laws)
        recount({law for law, _ in laws})
        return question
    # The new version is served where the old one was: an exam-only question must not
    # reach quizzes because its wording was corrected.
    # A question awaiting recheck is settled by its edit: the new version is served.
    status = "active" if question.status == "recheck" else question.status
    new = Question(**clean, fingerprint=fp, status=status, exam_only=question.exam_only,
                   version=question.version + 1, previous_id=question.id)
    question.status = "retired"
    db.session.add(new)
    db.session.flush()
    _redraw_papers(laws)
    recount({law for law, _ in laws})
    return new


def recount(category_ids) -> None:
    """Keep the laws' counts of active questions (Category.quiz_questions and
    exam_only_questions) true after a change to their questions, in the change's own
    transaction: every function here that adds, removes or moves a question, or changes
    its status or exam_only, ends with it (as do the importer and the seed). Each law's
    row is locked first, in id order: two changes to one law at once then count one after
    the other, the second seeing what the first committed."""
    ids = sorted(set(category_ids))
    if not ids:
        return
    db.session.flush()
    # NO KEY UPDATE: a question's insert holds its law's row FOR KEY SHARE (the foreign
    # key), which a plain FOR UPDATE would wait on, deadlocking two inserts into one law.
    db.session.execute(select(Category.id).where(Category.id.in_(ids)).order_by(Category.id).with_for_update(key_share=True))
    active = select(func.count()).select_from(Question).where(Question.category_id == Category.id, Question.status == "active")
    db.session.execute(
        update(Category).where(Category.id.in_(ids)).values(
            quiz_questions=active.where(Question.exam_only.is_(False)).scalar_subquery(),
            exam_only_questions=active.where(Question.exam_only.is_(True)).scalar_subquery()),
        execution_options={"synchronize_session": "fetch"})


def _redraw_papers(laws: set[tuple[int, str]]) -> None:
    from quiz_bank.exams.papers import redraw_for  # exam papers are drawn from this module's questions

    redraw_for(laws)


def set_status(question: Question, status: str) -> None:
    """Retiring hides a question from new quizzes and papers (ready papers holding it
    are drawn again); quizzes and attempts already started keep it. A question is
    served (active) only with a well-formed citation; awaiting review (pending) is
    where an import puts one without, and 待复核 (recheck) where an amendment of the law
    puts one (flag_for_recheck), never statuses chosen by hand."""
    if status not in QUESTION_STATUSES:
        raise QuestionInvalid(["状态须为启用、停用、待审核或待复核。"])
    if status == "pending" and question.status != "pending":
        raise QuestionInvalid(["只有导入时出处不全的题目才处于待审核，不能手动设为待审核。"])
    if status == "recheck" and question.status != "recheck":
        raise QuestionInvalid(["只有所引条文随法律修改而变动的题目才处于待复核，不能手动设为待复核。"])
    if status == "active" and (problem := citation_problem(question.source)):
        raise QuestionInvalid([problem])
    retiring = question.status == "active" and status == "retired"
    served_changes = "active" in (question.status, status) and status != question.status
    if question.status in ("pending", "recheck") and status != question.status:
        question.review_note = None
    question.status = status
    if retiring:
        db.session.flush()
        _redraw_papers({(question.category_id, question.type)})
    if served_changes:
        recount({question.category_id})


def flag_for_recheck(notes: dict[Question, str]) -> None:
    """Put active questions in 待复核 (recheck), each with why (the article it cites changed
    in a new version of the law): not served until an editor confirms or edits them, and
    ready papers holding any are drawn again, as retiring does."""
    laws = {(q.category_id, q.type) for q in notes if q.status == "active"}
    for question, note in notes.items():
        question.status, question.review_note = "recheck", note[:200]
    if laws:
        db.session.flush()
        _redraw_papers(laws)
        recount({law for law, _ in laws})


def delete_unused(questions: list[Question]) -> None:
    """Delete questions nobody has been given (checked by the caller with has_been_given):
    an import undone, a question awaiting review rejected. Ready papers holding any of
    them are drawn again."""
    laws = {(q.category_id, q.type) for q in questions if q.status == "active"}
    for question in questions:
        db.session.delete(question)
    db.session.flush()
    if laws:
        _redraw_papers(laws)
        recount({law for law, _ in laws})


def set_exam_only(question: Question, exam_only: bool) -> None:
    """Mark a question 仅用于考试 or not. Saved on the same row even once answered, no new
    version: it changes where the question is served from now on, not what was asked,
    so past answers stay true. (An answered exam-only question also leaves the
    wrong-answer book, which is read with the flag: see quizzes.wrong_answers.)"""
    changed = question.exam_only != bool(exam_only)
    question.exam_only = bool(exam_only)
    if changed and question.status == "active":
        recount({question.category_id})


def active_count(category_id: int, qtype: str | None = None) -> int:
    """How many active questions a category (of one type) has to draw from."""
    q = select(func.count()).select_from(Question).where(Question.status == "active", Question.category_id == category_id)
    if qtype is not None:
        q = q.where(Question.type == qtype)
    return db.session.scalar(q)


def quiz_laws() -> list[Category]:
    """The laws an on-site quiz may be set on: not those kept for exams only."""
    return db.session.scalars(select(Category).where(Category.exam_only.is_(False)).order_by(Category.sort_order, Category.id)).all()


def quiz_count(category: Category) -> int:
    """How many questions of a law a quiz may serve (none of a law kept for exams only)."""
    return 0 if category.exam_only else category.quiz_questions


def active_questions() -> int:
    """The bank's active questions, of every law."""
    return db.session.scalar(select(func.coalesce(func.sum(Category.quiz_questions + Category.exam_only_questions), 0)))


def categories_with_counts() -> list[tuple[Category, int]]:
    """The laws offered for practice, each with how many questions a quiz may serve from
    it. A law kept for exams only is not offered (practising it would find none)."""
    laws = db.session.scalars(select(Category).where(Category.exam_only.is_(False)).order_by(Category.sort_order, Category.id))
    return [(c, c.quiz_questions) for c in laws]


TRUE_WORDS = {"T", "对", "正确", "√", "是", "TRUE", "Y"}
FALSE_WORDS = {"F", "错", "错误", "×", "X", "否", "FALSE", "N"}


def parse_answer(text: str, qtype: str) -> list[str]:
    """Read an answer the way people write it: B, ABD, A,B,D, A、B, 对/错, 正确/错误, √/×."""
    # NFKC: full-width letters and punctuation (Ａ，Ｂ；) as typed on a Chinese keyboard.
    raw = unicodedata.normalize("NFKC", text or "").strip().upper()
    if qtype == "true_false":
        if raw in TRUE_WORDS:
            return ["T"]
        if raw in FALSE_WORDS:
            return ["F"]
        return [raw] if raw else []
    return sorted({ch for ch in re.sub(r"[\s,，、;；/]+", "", raw)})
