"""Importing and exporting question banks.

An import is planned first (every question checked, nothing written), so a file with
problems imports nothing until it is fixed, unless the admin chooses to import only
the good questions. Questions already in the bank (same category, type, stem, options
and answer) are skipped, so importing the same file twice adds nothing."""
import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from accounts import audit
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writes
from quiz_bank import formats
from quiz_bank.formats import Problem
from quiz_bank.models import Category, Question
from quiz_bank.questions import QuestionInvalid, fingerprint, normalise


@dataclass
class ImportPlan:
    fmt: str
    total: int = 0
    new: list[tuple[int, str, dict]] = field(default_factory=list)  # (line, category name, clean data)
    existing: int = 0
    problems: list[Problem] = field(default_factory=list)
    new_categories: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _slug(name: str) -> str:
    return "cat-" + hashlib.sha1(name.encode()).hexdigest()[:10]


def plan_import(filename: str, content: bytes, default_category: str | None = None) -> ImportPlan:
    fmt = formats.format_for(filename)
    read = formats.read(filename, content, default_category)
    plan = ImportPlan(fmt=fmt, total=len(read.questions) + len(read.problems), problems=list(read.problems))
    categories = {c.name: c for c in db.session.scalars(select(Category))}
    described = {c.get("name"): c for c in read.categories}
    known = {fp for (fp,) in db.session.execute(select(Question.fingerprint))}
    seen_in_file: dict[str, int] = {}
    for parsed in read.questions:
        name = (parsed.category or "").strip()
        if not name:
            plan.problems.append(Problem(parsed.line, "缺少分类（法律名称）。"))
            continue
        category = categories.get(name)
        if category is None and name not in {c["name"] for c in plan.new_categories}:
            meta = described.get(name, {})
            plan.new_categories.append({"name": name, "slug": meta.get("slug") or _slug(name),
                                        "description": meta.get("description", ""), "sort_order": meta.get("sort_order", 0)})
        try:
            clean = normalise({**parsed.data, "category_id": category.id if category else None})
        except QuestionInvalid as exc:
            plan.problems.extend(Problem(parsed.line, p) for p in exc.problems)
            continue
        status = parsed.data.get("status") or "active"
        if status not in ("active", "retired"):
            plan.problems.append(Problem(parsed.line, "状态须为 active 或 retired。"))
            continue
        clean["status"] = status
        key = fingerprint(category.id if category else name, clean["type"], clean["stem"], clean["options"], clean["answer"])
        if category is not None and key in known:
            plan.existing += 1
            continue
        if key in seen_in_file:
            plan.problems.append(Problem(parsed.line, f"与第 {seen_in_file[key]} 行的题目重复。"))
            continue
        seen_in_file[key] = parsed.line
        plan.new.append((parsed.line, name, clean))
    plan.problems.sort(key=lambda p: p.line)
    return plan


@writes
def apply_import(plan: ImportPlan, only_valid: bool = False, progress=None, admin_id: int | None = None,
                 source: str | None = None) -> int:
    """Write the planned questions; returns how many were added. With `source` (the
    file's name), the audit log records the import in the same transaction."""
    if plan.problems and not only_valid:
        raise QuestionInvalid([str(p) for p in plan.problems])
    for meta in plan.new_categories:
        db.session.add(Category(**meta))
    db.session.flush()
    ids = {c.name: c.id for c in db.session.scalars(select(Category))}
    now = utcnow()
    rows = []
    for _, name, clean in plan.new:
        cid = ids[name]
        rows.append({**clean, "category_id": cid, "version": 1, "created_at": now, "updated_at": now,
                     "fingerprint": fingerprint(cid, clean["type"], clean["stem"], clean["options"], clean["answer"])})
    table = Question.__table__
    for start in range(0, len(rows), 500):
        batch = rows[start:start + 500]
        db.session.execute(table.insert(), batch)
        if progress:
            progress(len(batch))
    if source is not None:
        audit.record(admin_id, "import", "question", "",
                     f"从 {source} 导入 {len(rows)} 道题，跳过已存在 {plan.existing} 道，问题 {len(plan.problems)} 处")
    return len(rows)


def export_bank(filename: str, include_retired: bool = False) -> bytes:
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    names = {c.id: c.name for c in categories}
    query = select(Question).order_by(Question.category_id, Question.id)
    if not include_retired:
        query = query.where(Question.status == "active")
    questions = [
        {"category": names[q.category_id], "type": q.type, "stem": q.stem, "options": q.options, "answer": q.answer,
         "explanation": q.explanation, "source": q.source, "difficulty": q.difficulty, "status": q.status}
        for q in db.session.scalars(query)
    ]
    cats = [{"name": c.name, "slug": c.slug, "description": c.description, "sort_order": c.sort_order} for c in categories]
    return formats.write(filename, cats, questions)
