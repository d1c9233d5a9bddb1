"""Splitting a law's official text into 编/分编/章/节/条, from .txt (UTF-8, GB18030) and .docx."""
from datetime import date

import pytest

from core.domain_errors import Invalid
from statutes import splitter
from tests.statutes.texts import LAW, docx_bytes


def _by_label(text):
    return {a.label: a for a in text.articles}


def test_the_body_is_split_under_its_headings_and_the_preamble_is_skipped():
    text = splitter.read("乡村示范法.txt", LAW.encode())
    assert text.title == "中华人民共和国乡村示范法" and text.short_name == "乡村示范法"
    assert text.version_date == date(2023, 12, 29)  # the latest date of the history line
    # The 目录 lists the same headings: they are read once, from the body.
    assert text.headings == [(0, "第一编 总则"), (2, "第一章 基本规定"), (2, "第二章 村民"), (0, "第二编 治理"), (1, "第一分编 通则"),
                             (2, "第三章 村务"), (3, "第一节 村务公开"), (3, "第二节 村务监督"), (0, "附则")]
    assert [a.label for a in text.articles] == ["第一条", "第二条", "第三条", "第四条", "第五条", "第五条之一", "第六条", "第七条"]
    articles = _by_label(text)
    first = articles["第一条"]
    assert (first.part, first.subpart, first.chapter, first.section) == ("第一编 总则", "", "第一章 基本规定", "")
    assert first.text == "为了建设民主法治示范村，制定本法。"
    fifth = articles["第五条"]
    assert (fifth.part, fifth.subpart, fifth.chapter, fifth.section) == ("第二编 治理", "第一分编 通则", "第三章 村务", "第一节 村务公开")
    assert fifth.text == "村务应当公开。\n公开的内容包括：\n（一）财务收支；\n（二）集体资产处置。"
    assert (articles["第五条之一"].number, articles["第五条之一"].sub) == (5, 1)
    assert articles["第六条"].section == "第二节 村务监督"
    # 附则 starts a new part and clears the chapter and section above it.
    assert (articles["第七条"].part, articles["第七条"].chapter, articles["第七条"].section) == ("附则", "", "")


def test_a_paragraph_opening_with_another_articles_number_stays_text():
    articles = _by_label(splitter.read("乡村示范法.txt", LAW.encode()))
    assert articles["第四条"].text == "村民应当遵守村规民约。\n第三条规定的权利，任何组织和个人不得侵犯。"
    # Even followed by a space: only the next number starts an article.
    assert articles["第六条"].text.endswith("第二条\u3000所列行政村，应当设立村务监督委员会。")


@pytest.mark.parametrize("filename,data", [
    ("乡村示范法.txt", LAW.encode("gb18030")),
    ("乡村示范法.txt", LAW.encode("utf-8-sig")),
    ("乡村示范法.docx", docx_bytes(LAW)),
], ids=["gb18030", "utf-8-bom", "docx"])
def test_other_encodings_and_word_read_the_same(filename, data):
    expected = splitter.read("乡村示范法.txt", LAW.encode())
    text = splitter.read(filename, data)
    assert (text.title, text.version_date, text.headings) == (expected.title, expected.version_date, expected.headings)
    assert [(a.label, a.chapter, a.text) for a in text.articles] == [(a.label, a.chapter, a.text) for a in expected.articles]


def test_a_law_without_chapters_or_history_line():
    text = splitter.read("条例.txt", "某某条例\n第一条 为了……，制定本条例。\n第二条\n本条例自公布之日起施行。\n".encode())
    assert text.version_date is None and text.headings == []
    assert [(a.label, a.text) for a in text.articles] == [("第一条", "为了……，制定本条例。"), ("第二条", "本条例自公布之日起施行。")]


def test_a_heading_typed_without_its_space_is_still_one_but_a_sentence_is_not():
    text = splitter.read("条例.txt", "某某条例\n第一章总则\n第一条 为了……，制定本条例。\n第二章规定的事项，由村委会办理。\n"
                                     "第二章 附则\n第二条 本条例自公布之日起施行。\n".encode())
    assert text.headings == [(2, "第一章 总则"), (2, "第二章 附则")]
    assert text.articles[0].text == "为了……，制定本条例。\n第二章规定的事项，由村委会办理。"
    assert text.articles[1].chapter == "第二章 附则"


def test_a_word_file_unzipping_too_large_is_refused_before_it_is_opened(monkeypatch):
    monkeypatch.setattr("quiz_bank.formats.MAX_UNZIPPED_BYTES", 1000)
    with pytest.raises(Invalid, match="文件解压后超过"):
        splitter.read("乡村示范法.docx", docx_bytes(LAW))


@pytest.mark.parametrize("filename,data,message", [
    ("通知.txt", "关于开展普法宣传的通知\n各村：请做好宣传。\n".encode(), "没有在文件中找到法律条文"),
    ("法.doc", b"\xd0\xcf\x11\xe0", "只支持"),
    ("法.docx", b"not a zip", "无法读取这个 Word 文件"),
    ("法.txt", b"\xff\xfe\x00\xd8" * 3, "无法识别文本文件的编码"),
])
def test_what_is_not_a_law_is_refused_in_chinese(filename, data, message):
    with pytest.raises(Invalid) as refused:
        splitter.read(filename, data)
    assert message in refused.value.message
