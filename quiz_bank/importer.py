"""Importing and exporting question banks.

An import is planned first (every question checked, nothing written), so a file with
problems imports nothing until it is fixed, unless the admin chooses to import only
the good questions. Questions already in the bank (same category, type, stem, options
and answer) are skipped, so importing the same file twice adds nothing.

A question whose only fault is its citation (none, or not 《法》第X条) is not turned
away: it is imported awaiting review (待审核), never served, until an editor adds the
citation and publishes it. Each import is recorded (QuestionImport) and can be undone
while none of its questions has been given to anyone.

仅用于考试 (exam_only) is not part of what makes two questions the same: a question (or
law) already in the bank keeps its own setting whatever the file says, and the plan
counts where they differ so the import can say so. An import only adds; and a file
that cannot carry the flag (GIFT, Aiken, an older sheet) must never release an
exam-only question into quizzes."""
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from accounts import audit
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes
from quiz_bank import formats
from quiz_bank.formats import Problem
from quiz_bank.models import QUESTION_STATUSES, Category, Question, QuestionImport
from quiz_bank.questions import (QuestionInvalid, citation_problem, delete_unused, fingerprint, has_been_given,
                                 normalise, recount)


@dataclass
class ImportPlan:
    fmt: str
    unit: str = "行"  # what line numbers count: 行, or 段 in a Word document
    notes: list[str] = field(default_factory=list)  # how the file was read (the sheet and header row used)
    total: int = 0
    new: list[tuple[int, str, dict]] = field(default_factory=list)  # (line, category name, clean data)
    existing: int = 0
    problems: list[Problem] = field(default_factory=list)  # of questions and of the whole file
    new_categories: list[dict] = field(default_factory=list)
    # Already in the bank, with a 仅用于考试 other than the file's: left as they are.
    exam_only_kept: int = 0
    exam_only_kept_categories: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def pending(self) -> int:
        """New questions that will await review (no well-formed citation)."""
        return sum(1 for _, _, clean in self.new if clean["status"] == "pending")

    @property
    def file_problems(self) -> list[Problem]:
        return [p for p in self.problems if p.whole_file]

    @property
    def refused(self) -> int:
        """Questions not imported for their problems (a question may have several)."""
        return len({p.line for p in self.problems if not p.whole_file})

    @property
    def exam_only_new(self) -> int:
        return sum(1 for _, _, clean in self.new if clean["exam_only"])

    def summary(self) -> str:
        """The plan in one line, for the command line."""
        awaiting = f"待审核 {self.pending}、" if self.pending else ""
        files = f"；文件问题 {len(self.file_problems)} 处" if self.file_problems else ""
        return (f"共 {self.total} 道：新题 {len(self.new)}（其中{awaiting}仅用于考试 {self.exam_only_new}），"
                f"已存在 {self.existing}，有问题 {self.refused}{files}。")

    def exam_only_note(self) -> str:
        """What the import does with 仅用于考试 where the file and the bank differ, for
        the preview, the command line and the audit log; empty when they agree."""
        parts = []
        if self.exam_only_kept:
            parts.append(f"{self.exam_only_kept} 道已存在的题")
        if self.exam_only_kept_categories:
            parts.append("分类" + "、".join(f"“{name}”" for name in self.exam_only_kept_categories))
        if not parts:
            return ""
        return f"{'和'.join(parts)}的“仅用于考试”与文件不同，保留题库中的设置（需要改动请在题库中修改）。"


def _slug(name: str) -> str:
    return "cat-" + hashlib.sha1(name.encode()).hexdigest()[:10]


def _flag(value) -> bool | None:
    """exam_only as a file gives it: absent is false; None for anything but a boolean."""
    if value is None:
        return False
    return value if isinstance(value, bool) else None


def plan_import(filename: str, content: bytes, default_category: str | None = None) -> ImportPlan:
    fmt = formats.format_of(filename, content)
    read = formats.read(filename, content, default_category)
    plan = ImportPlan(fmt=fmt, unit=read.unit, notes=list(read.notes),
                      total=len(read.questions) + sum(1 for p in read.problems if not p.whole_file), problems=list(read.problems))

    def problem(line: int, message: str) -> Problem:
        return Problem(line, message, unit=read.unit)

    categories = {c.name: c for c in db.session.scalars(select(Category))}
    described = {c.get("name"): c for c in read.categories}
    for name, meta in described.items():
        flag = _flag(meta.get("exam_only"))
        if flag is None:
            plan.problems.append(Problem(1, f"分类“{name}”的 exam_only 须为 true 或 false。"))
        elif name in categories and categories[name].exam_only != flag:
            plan.exam_only_kept_categories.append(name)
    # Fingerprint: whether the bank keeps its questions with it for exams (themselves or by
    # their law), compared with the same in the file (a sheet marks each question of an
    # exam-only law, JSON and YAML the law), so a round trip reports no difference.
    known: dict[str, set[bool]] = {}
    for fp, exam_only in db.session.execute(
            select(Question.fingerprint, Question.exam_only | Category.exam_only).join(Category, Category.id == Question.category_id)):
        known.setdefault(fp, set()).add(bool(exam_only))
    file_laws = {name for name, meta in described.items() if meta.get("exam_only") is True}
    seen_in_file: dict[str, int] = {}
    for parsed in read.questions:
        name = (parsed.category or "").strip()
        if not name:
            plan.problems.append(problem(parsed.line, "缺少分类（法律名称）。"))
            continue
        category = categories.get(name)
        if category is None and name not in {c["name"] for c in plan.new_categories}:
            meta = described.get(name, {})
            plan.new_categories.append({"name": name, "slug": meta.get("slug") or _slug(name),
                                        "description": meta.get("description", ""), "sort_order": meta.get("sort_order", 0),
                                        "exam_only": bool(_flag(meta.get("exam_only")))})
        try:
            clean = normalise({**parsed.data, "category_id": category.id if category else None}, cite=False)
        except QuestionInvalid as exc:
            plan.problems.extend(problem(parsed.line, p) for p in exc.problems)
            continue
        status = parsed.data.get("status") or "active"
        if status not in QUESTION_STATUSES:
            plan.problems.append(problem(parsed.line, "状态须为 active、retired、pending 或 recheck。"))
            continue
        clean["review_note"] = citation_problem(clean["source"])
        if clean["review_note"] and status == "active":
            status = "pending"  # kept, never served, until an editor adds the citation
        elif status == "recheck":
            # 待复核 belongs to this bank's statute library; from a file it awaits review.
            status = "pending"
            clean["review_note"] = clean["review_note"] or "导出时处于待复核：请对照出处条文核对后发布。"
        clean["status"] = status
        exam_only = _flag(parsed.data.get("exam_only"))
        if exam_only is None:
            plan.problems.append(problem(parsed.line, "exam_only（仅用于考试）须为 true 或 false。"))
            continue
        clean["exam_only"] = exam_only
        key = fingerprint(category.id if category else name, clean["type"], clean["stem"], clean["options"], clean["answer"])
        if category is not None and key in known:
            plan.existing += 1
            plan.exam_only_kept += (exam_only or name in file_laws) not in known[key]
            continue
        if key in seen_in_file:
            plan.problems.append(problem(parsed.line, f"与第 {seen_in_file[key]} {read.unit}的题目重复。"))
            continue
        seen_in_file[key] = parsed.line
        plan.new.append((parsed.line, name, clean))
    plan.problems.sort(key=lambda p: p.line)
    return plan


@writes
def apply_import(plan: ImportPlan, only_valid: bool = False, progress=None, admin_id: int | None = None,
                 source: str | None = None) -> int:
    """Write the planned questions; returns how many were added. With `source` (the
    file's name) the import is recorded (its questions carry it, so it can be listed and
    undone) and the audit log notes it, in the same transaction."""
    if plan.problems and not only_valid:
        raise QuestionInvalid([str(p) for p in plan.problems])
    for meta in plan.new_categories:
        db.session.add(Category(**meta))
    record = None
    if source is not None:
        record = QuestionImport(filename=source[:255], fmt=plan.fmt, admin_id=admin_id, added=len(plan.new),
                                pending=plan.pending, existing=plan.existing, refused=plan.refused)
        db.session.add(record)
    db.session.flush()
    ids = {c.name: c.id for c in db.session.scalars(select(Category))}
    now = utcnow()
    rows = []
    for _, name, clean in plan.new:
        cid = ids[name]
        rows.append({**clean, "category_id": cid, "version": 1, "created_at": now, "updated_at": now,
                     "import_id": record.id if record else None,
                     "fingerprint": fingerprint(cid, clean["type"], clean["stem"], clean["options"], clean["answer"])})
    table = Question.__table__
    for start in range(0, len(rows), 500):
        batch = rows[start:start + 500]
        db.session.execute(table.insert(), batch)
        if progress:
            progress(len(batch))
    recount({row["category_id"] for row in rows})
    if record is not None:
        note = plan.exam_only_note()
        audit.record(admin_id, "import", "question_import", record.id,
                     f"从 {source} 导入 {len(rows)} 道题（其中待审核 {plan.pending} 道、仅用于考试 {plan.exam_only_new} 道），"
                     f"跳过已存在 {plan.existing} 道，有问题未导入 {plan.refused} 道"
                     + (f"，文件问题 {len(plan.file_problems)} 处" if plan.file_problems else "") + (f"；{note}" if note else ""))
    return len(rows)


def undo_import(record: QuestionImport, admin_id: int | None) -> int:
    """Remove the questions an import added, if none of them has been given to anyone;
    returns how many were removed. The categories it created stay (they may hold
    questions added since)."""
    if record.undone_at is not None:
        raise QuestionInvalid(["这次导入已经撤销过了。"])
    questions = db.session.scalars(select(Question).where(Question.import_id == record.id)).all()
    given = [q for q in questions if has_been_given(q)]
    if given:
        raise QuestionInvalid([f"这次导入的题目中已有 {len(given)} 道被答过或正在考试中，不能撤销；请在题库中停用不要的题目。"])
    delete_unused(questions)
    record.undone_at, record.undone_by = utcnow(), admin_id
    audit.record(admin_id, "undo_import", "question_import", record.id, f"撤销导入 {record.filename}：删除 {len(questions)} 道题")
    return len(questions)


def export_bank(filename: str, everything: bool = False) -> bytes:
    """The active questions; `everything`: retired and awaiting review too, each with its status."""
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    names = {c.id: c.name for c in categories}
    query = select(Question).order_by(Question.category_id, Question.id)
    if not everything:
        query = query.where(Question.status == "active")
    questions = [
        {"category": names[q.category_id], "type": q.type, "stem": q.stem, "options": q.options, "answer": q.answer,
         "explanation": q.explanation, "source": q.source, "difficulty": q.difficulty, "status": q.status,
         "exam_only": q.exam_only}
        for q in db.session.scalars(query)
    ]
    cats = [{"name": c.name, "slug": c.slug, "description": c.description, "sort_order": c.sort_order, "exam_only": c.exam_only}
            for c in categories]
    return formats.write(filename, cats, questions)
