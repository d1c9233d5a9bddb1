"""Citations (《民法典》第一千零七十九条) resolved against the library's current versions,
and 出处核对: the questions whose citation names an article the law does not have."""
import re
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from core.extensions import db
from quiz_bank.models import Question
from quiz_bank.questions import SOURCE_RE
from statutes.models import Article, Statute
from statutes.numerals import NUMERAL_CHARS, cn_to_int

# The parts of a citation SOURCE_RE accepts (which stays the one rule of what is well formed).
PARTS_RE = re.compile(rf"^《([^《》]+)》第([{NUMERAL_CHARS}]+)条(?:之([{NUMERAL_CHARS}]+))?")
CHECKED_STATUSES = ("active", "pending", "recheck")


def parse(source: str | None) -> tuple[str, int, int] | None:
    """(law's short name, article number, sub for 之M or 0) of a well-formed citation; the
    款 and 项 are dropped (articles are what the library holds). None otherwise."""
    source = (source or "").strip()
    if not SOURCE_RE.match(source):
        return None
    law, number, sub = PARTS_RE.match(source).groups()
    try:
        return law, cn_to_int(number), cn_to_int(sub) if sub else 0
    except ValueError:
        return None


def article_text_query(law: str, number: int, sub: int = 0) -> Select:
    """One SELECT of the article's text in the law's current version (at most one row):
    through the unique law name and the unique (version, number, sub) key."""
    return (select(Article.text).join(Statute, Statute.current_version_id == Article.version_id)
            .where(Statute.name == law, Article.number == number, Article.sub == sub))


def article_text(source: str | None) -> str | None:
    """The text of the article a question's source cites, in the law's current version;
    None when the source is not a well-formed citation, the law is not in the library,
    or its current version has no such article. One statement (none for a bad source)."""
    parsed = parse(source)
    if parsed is None:
        return None
    return db.session.scalar(article_text_query(*parsed))


def article_for(source: str | None) -> Article | None:
    """The Article a source cites in the law's current version, or None."""
    parsed = parse(source)
    if parsed is None:
        return None
    law, number, sub = parsed
    return db.session.scalar(select(Article).join(Statute, Statute.current_version_id == Article.version_id)
                             .where(Statute.name == law, Article.number == number, Article.sub == sub))


@dataclass
class SourceCheck:
    flagged: list[dict]  # questions citing an article the law's current version lacks
    unchecked: int  # questions citing a law not in the library
    unchecked_laws: list[str]
    checked: int  # questions whose law the library holds


def check_sources() -> SourceCheck:
    """出处核对 over the questions that are or may be served (启用, 待审核, 待复核). A
    district's bank repeats a few hundred citations over 100,000 questions: the database
    counts the questions per distinct source, each source is parsed and judged once, and
    only the flagged questions are read. At most three statements however many questions."""
    counts = dict(db.session.execute(
        select(Question.source, func.count()).where(Question.status.in_(CHECKED_STATUSES)).group_by(Question.source)
    ).all())
    parsed = {source: parse(source) for source in counts}
    laws = {cited[0] for cited in parsed.values() if cited is not None}
    held: dict[str, set[tuple[int, int]]] = {}
    if laws:
        for name, number, sub in db.session.execute(
            select(Statute.name, Article.number, Article.sub).join(Article, Article.version_id == Statute.current_version_id)
            .where(Statute.name.in_(laws))
        ):
            held.setdefault(name, set()).add((number, sub))
    wrong, unchecked_laws, unchecked, checked = [], set(), 0, 0
    for source, cited in parsed.items():
        if cited is None:
            continue
        law, number, sub = cited
        if law not in held:
            unchecked += counts[source]
            unchecked_laws.add(law)
            continue
        checked += counts[source]
        if (number, sub) not in held[law]:
            wrong.append(source)
    flagged = [] if not wrong else [
        {"id": question_id, "stem": stem, "source": source, "status": status}
        for question_id, stem, source, status in db.session.execute(
            select(Question.id, Question.stem, Question.source, Question.status)
            .where(Question.status.in_(CHECKED_STATUSES), Question.source.in_(wrong)).order_by(Question.id)
        )
    ]
    return SourceCheck(flagged=flagged, unchecked=unchecked, unchecked_laws=sorted(unchecked_laws), checked=checked)
