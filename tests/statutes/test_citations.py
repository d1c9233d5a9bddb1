"""Citations resolve against the library's current version; 出处核对 lists those that do not."""
from core.extensions import db
from statutes import citations
from tests.statutes.helpers import import_amended, import_law


def test_parse_reads_the_shipped_citation_form():
    assert citations.parse("《民法典》第一千零七十九条") == ("民法典", 1079, 0)
    assert citations.parse("《刑法》第一百二十条之一第二款第三项") == ("刑法", 120, 1)
    assert citations.parse(" 《乡村示范法》第十条第一款 ") == ("乡村示范法", 10, 0)
    for bad in ("", None, "民法典第十条", "《民法典》第10条", "《民法典》第十条，第十一条"):
        assert citations.parse(bad) is None


def test_a_citation_finds_its_article_in_the_current_version(make, count_queries):
    import_law()
    article = citations.article_for("《乡村示范法》第五条第二款")
    assert article.label == "第五条" and article.chapter == "第三章 村务" and article.text.startswith("村务应当公开。")
    assert citations.article_for("《乡村示范法》第五条之一").text == "村务公开每季度至少一次。"
    with count_queries() as statements:
        assert citations.article_text("《乡村示范法》第二条") == "本法适用于全国的行政村。"
    assert len(statements) == 1
    import_amended()
    assert citations.article_text("《乡村示范法》第二条") == "本法适用于全国的行政村和社区。"
    assert citations.article_text("《乡村示范法》第五条之一") is None  # removed by the amendment
    assert citations.article_text("《乡村示范法》第九十九条") is None
    assert citations.article_text("《民法典》第一千零七十九条") is None  # not in the library
    assert citations.article_text("没有出处") is None


def test_source_check_flags_missing_articles_and_counts_laws_not_held(make, count_queries):
    import_law()
    law = make.category(name="乡村示范法")
    found = make.question(law, source="《乡村示范法》第三条")
    missing = make.question(law, source="《乡村示范法》第三十条", stem="第三十条并不存在的题目")
    pending = make.question(law, source="《乡村示范法》第五条之二", status="pending", review_note="出处待核")
    retired = make.question(law, source="《乡村示范法》第四十条", status="retired")
    make.question(source="《民法典》第一千零七十九条")
    make.question(source="《民法典》第十三条")
    with count_queries() as statements:
        check = citations.check_sources()
    assert len(statements) == 3  # sources counted, the laws' articles, the flagged questions
    assert [q["id"] for q in check.flagged] == [missing.id, pending.id]
    assert retired.id not in [q["id"] for q in check.flagged] and found.id not in [q["id"] for q in check.flagged]
    assert (check.checked, check.unchecked, check.unchecked_laws) == (3, 2, ["民法典"])
    more = [make.question(law, source="《乡村示范法》第五十条") for _ in range(5)]
    with count_queries() as statements:
        assert len(citations.check_sources().flagged) == 2 + len(more)
    assert len(statements) == 3
    # Nothing flagged: the questions themselves are never read.
    for question in [missing, pending, *more]:
        question.status = "retired"
    db.session.flush()
    with count_queries() as statements:
        check = citations.check_sources()
    assert check.flagged == [] and (check.checked, check.unchecked) == (1, 2) and len(statements) == 2


def test_source_check_judges_each_distinct_source_once(make, monkeypatch):
    """A district's bank repeats the same citations over many questions: each source is
    parsed once, and every question citing it is counted and listed all the same."""
    import_law()
    law = make.category(name="乡村示范法")
    held = [make.question(law, source="《乡村示范法》第三条") for _ in range(6)]
    spaced = make.question(law, source="《乡村示范法》第三十条第二款")  # the same article, another source
    missing = [make.question(law, source="《乡村示范法》第三十条") for _ in range(4)]
    make.question(law, source="《乡村示范法》第十十条")  # well formed to SOURCE_RE, but no numeral
    other = [make.question(source="《民法典》第一千零七十九条") for _ in range(3)]
    parsed = []
    real_parse = citations.parse
    monkeypatch.setattr(citations, "parse", lambda source: parsed.append(source) or real_parse(source))
    check = citations.check_sources()
    assert sorted(parsed) == sorted({q.source for q in [*held, spaced, *missing, *other]} | {"《乡村示范法》第十十条"})
    assert [q["id"] for q in check.flagged] == sorted([spaced.id, *(q.id for q in missing)])
    assert check.flagged[0] == {"id": spaced.id, "stem": spaced.stem, "source": "《乡村示范法》第三十条第二款",
                                "status": "active"}
    assert (check.checked, check.unchecked, check.unchecked_laws) == (11, 3, ["民法典"])
