"""Importing a law's text into the library, and what an amendment changed.

Importing a later version of a law already held makes it current and compares it with
the version before, article by article (第N条 and 第N条之M): the active questions citing
an article that changed or went are put in 待复核 until an editor confirms or edits them."""
import re
from dataclasses import dataclass, field
from datetime import date
from difflib import SequenceMatcher

from sqlalchemy import func, insert, select

from core.domain_errors import Conflict, Invalid
from core.extensions import db
from quiz_bank.models import Question
from quiz_bank.questions import flag_for_recheck
from statutes import citations, splitter
from statutes.models import Article, Statute, StatuteVersion
from statutes.numerals import int_to_cn


def date_words(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class ImportPlan:
    """What was read from a file, under the name and date the import will use."""

    filename: str
    text: splitter.SplitText
    name: str
    version_date: date | None
    statute: Statute | None  # the law already held under that name
    latest: date | None  # its latest version held

    @property
    def problem(self) -> str | None:
        """Why this version cannot be imported, or None."""
        if self.version_date is None:
            return "没有从文件中读出版本日期（题注中的通过或修订日期），请填写版本日期。"
        if self.latest is not None and self.version_date == self.latest:
            return f"该版本已导入：《{self.name}》{date_words(self.version_date)}版本已在法规库中。"
        if self.latest is not None and self.version_date < self.latest:
            return (f"该版本（{date_words(self.version_date)}）早于法规库中《{self.name}》的最新版本"
                    f"（{date_words(self.latest)}），不能导入旧版本。")
        return None


def plan_import(filename: str, data: bytes, name: str | None = None, version_date: date | None = None) -> ImportPlan:
    """Read and split a file (Invalid when it cannot be read or holds no article); `name`
    and `version_date` override what the text says."""
    text = splitter.read(filename, data)
    name = re.sub(r"\s+", "", name or "") or text.short_name
    if not name:
        raise Invalid("没有读出法律名称，请填写法律简称。", code="no_name")
    if len(name) > 100:
        raise Invalid("法律简称过长（最多 100 字）。", code="name_too_long")
    statute = db.session.scalar(select(Statute).where(Statute.name == name))
    latest = db.session.scalar(select(func.max(StatuteVersion.version_date)).where(StatuteVersion.statute_id == statute.id)) if statute else None
    return ImportPlan(filename=filename, text=text, name=name, version_date=version_date or text.version_date,
                      statute=statute, latest=latest)


@dataclass
class Change:
    label: str
    before: str | None
    after: str | None

    def marked(self) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
        """Both texts as (piece, changed) runs, character by character, for highlighting."""
        before, after = self.before or "", self.after or ""
        old, new = [], []
        for op, i1, i2, j1, j2 in SequenceMatcher(None, before, after, autojunk=False).get_opcodes():
            if i2 > i1:
                old.append((before[i1:i2], op != "equal"))
            if j2 > j1:
                new.append((after[j1:j2], op != "equal"))
        return old, new


@dataclass
class Changes:
    changed: list[Change] = field(default_factory=list)
    added: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _label(number: int, sub: int) -> str:
    return f"第{int_to_cn(number)}条" + (f"之{int_to_cn(sub)}" if sub else "")


def _articles(version_id: int) -> dict[tuple[int, int], str]:
    return {(n, s): t for n, s, t in db.session.execute(
        select(Article.number, Article.sub, Article.text).where(Article.version_id == version_id).order_by(Article.position))}


def compare(before: dict[tuple[int, int], str], after: dict[tuple[int, int], str]) -> Changes:
    """Articles by (number, sub): changed (text differs beyond whitespace), added, removed."""
    changes = Changes()
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old is None:
            changes.added.append(Change(_label(*key), None, new))
        elif new is None:
            changes.removed.append(Change(_label(*key), old, None))
        elif _norm(old) != _norm(new):
            changes.changed.append(Change(_label(*key), old, new))
    return changes


def previous_version(version: StatuteVersion) -> StatuteVersion | None:
    return db.session.scalar(select(StatuteVersion).where(
        StatuteVersion.statute_id == version.statute_id, StatuteVersion.version_date < version.version_date,
    ).order_by(StatuteVersion.version_date.desc()).limit(1))


def changes_of(version: StatuteVersion) -> tuple[StatuteVersion | None, Changes]:
    """The version before this one and what this one changed (nothing for a law's first)."""
    before = previous_version(version)
    if before is None:
        return None, Changes()
    return before, compare(_articles(before.id), _articles(version.id))


def apply_import(plan: ImportPlan, admin_id: int | None) -> tuple[StatuteVersion, int]:
    """Store the version and make it current, in the caller's unit of work; for a later
    version of a law held, put the active questions citing a changed or removed article
    in 待复核. Returns the version and how many questions were put there."""
    if plan.problem:
        raise Conflict(plan.problem, code="version_refused")
    statute = plan.statute
    if statute is None:
        statute = Statute(name=plan.name, title=plan.text.title[:200] or plan.name)
        db.session.add(statute)
        db.session.flush()
    else:
        statute.title = plan.text.title[:200] or statute.title
    previous_id = statute.current_version_id
    version = StatuteVersion(statute_id=statute.id, version_date=plan.version_date, filename=plan.filename[:255],
                             admin_id=admin_id, article_count=len(plan.text.articles))
    db.session.add(version)
    db.session.flush()
    db.session.execute(insert(Article), [
        {"version_id": version.id, "number": a.number, "sub": a.sub, "label": a.label, "part": a.part,
         "subpart": a.subpart, "chapter": a.chapter, "section": a.section, "text": a.text, "position": i}
        for i, a in enumerate(plan.text.articles)
    ])
    statute.current_version_id = version.id
    db.session.flush()
    if previous_id is None:
        return version, 0
    changes = compare(_articles(previous_id), {(a.number, a.sub): a.text for a in plan.text.articles})
    return version, _send_to_recheck(statute.name, version, changes)


def _send_to_recheck(law: str, version: StatuteVersion, changes: Changes) -> int:
    """The active questions citing a changed or removed article of `law` go to 待复核."""
    when = date_words(version.version_date)
    notes = {c.label: f"《{law}》{c.label}已随{when}版本修改，请核对" for c in changes.changed}
    notes.update({c.label: f"《{law}》{c.label}在{when}版本中已删除，请核对" for c in changes.removed})
    if not notes:
        return 0
    # The citations that may name this law (parsed here: 第N条 is written in numerals).
    candidates = db.session.scalars(select(Question).where(
        Question.status == "active", Question.source.like(f"《{_like_escape(law)}》%", escape="\\"))).all()
    hit = {}
    for question in candidates:
        parsed = citations.parse(question.source)
        if parsed and parsed[0] == law and (label := _label(parsed[1], parsed[2])) in notes:
            hit[question] = notes[label]
    flag_for_recheck(hit)
    return len(hit)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def laws() -> list[tuple[Statute, StatuteVersion | None, int]]:
    """Every law held with its current version and how many versions it has: one statement."""
    counts = select(StatuteVersion.statute_id, func.count().label("n")).group_by(StatuteVersion.statute_id).subquery()
    return [tuple(row) for row in db.session.execute(
        select(Statute, StatuteVersion, func.coalesce(counts.c.n, 0))
        .outerjoin(StatuteVersion, StatuteVersion.id == Statute.current_version_id)
        .outerjoin(counts, counts.c.statute_id == Statute.id).order_by(Statute.name)
    )]


def versions_of(statute: Statute) -> list[StatuteVersion]:
    return db.session.scalars(select(StatuteVersion).where(StatuteVersion.statute_id == statute.id)
                              .order_by(StatuteVersion.version_date.desc())).all()


def articles_of(version_id: int, search: str = "") -> list[Article]:
    """A version's articles in order; `search`: only those whose text holds it."""
    query = select(Article).where(Article.version_id == version_id).order_by(Article.position)
    if search:
        query = query.where(Article.text.like(f"%{_like_escape(search)}%", escape="\\"))
    return db.session.scalars(query).all()
