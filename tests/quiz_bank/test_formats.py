"""Every format a township's bank comes in: read, checked line by line, written back."""
import csv
import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import delete, select

from core.extensions import db
from quiz_bank.formats import tabular
from quiz_bank.importer import apply_import, export_bank, plan_import
from quiz_bank.models import Category, Question
from quiz_bank.questions import QuestionInvalid

HEADER = "题型,分类,题干,选项A,选项B,选项C,选项D,答案,解析,出处,难度\n"


def _bank(make):
    civil, river = make.category(name="民法典"), make.category(name="长江保护法")
    make.question(civil, type="single", answer=["B"], source="《民法典》第十七条", difficulty=2)
    make.question(civil, type="multiple", answer=["A", "C", "D"], source="《民法典》第一千零七十九条")
    make.question(river, type="true_false", answer=["F"], source="《长江保护法》第二十六条", stem="长江干支流岸线三公里内可以新建化工园区。")
    make.question(river, type="true_false", answer=["T"], source="《长江保护法》第五十三条", explanation="多行\n解析：含有 ~ = # { } : 符号")
    make.question(river, type="single", answer=["A"], options=[{"key": "A", "text": "一公里 {含括号} #1"}, {"key": "B", "text": "三公里: 冒号"}])


def _snapshot():
    rows = db.session.execute(
        select(Category.name, Question.type, Question.stem, Question.options, Question.answer, Question.explanation,
               Question.source, Question.difficulty).join(Category).order_by(Category.name, Question.stem)
    ).all()
    return [tuple(r) for r in rows]


def _empty_bank():
    db.session.execute(delete(Question))
    db.session.execute(delete(Category))
    db.session.flush()


@pytest.mark.parametrize("filename", ["bank.json", "bank.xlsx", "bank.csv", "bank.gift"])
def test_export_then_import_into_an_empty_database_gives_the_same_bank(make, filename):
    _bank(make)
    before = _snapshot()
    data = export_bank(filename)
    _empty_bank()
    plan = plan_import(filename, data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert apply_import(plan) == 5
    assert _snapshot() == before
    # The same file again adds nothing.
    again = plan_import(filename, data)
    assert again.existing == 5 and not again.new


def test_json_is_lossless_including_status_and_category_details(make):
    cat = make.category(name="宪法", slug="xianfa", description="中华人民共和国宪法", sort_order=1)
    make.question(cat, status="retired")
    data = export_bank("bank.json", everything=True)
    _empty_bank()
    apply_import(plan_import("bank.json", data))
    restored = db.session.scalar(select(Category))
    assert (restored.slug, restored.description, restored.sort_order) == ("xianfa", "中华人民共和国宪法", 1)
    assert db.session.scalar(select(Question.status)) == "retired"


def test_aiken_round_trip_for_single_and_true_false(make):
    cat = make.category(name="禁毒法")
    make.question(cat, type="single", answer=["C"], source="《禁毒法》第二条")
    make.question(cat, type="true_false", answer=["F"], source="《禁毒法》第三条")
    before = _snapshot()
    data = export_bank("bank.txt")
    _empty_bank()
    plan = plan_import("禁毒法.txt", data, default_category="禁毒法")
    assert plan.ok and apply_import(plan) == 2
    assert _snapshot() == before


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk"])
def test_csv_in_utf8_with_or_without_bom_and_gbk(encoding):
    text = HEADER + "多选,民法典,下列哪些属于夫妻共同财产？,工资,继承所得,婚前房产,生产经营收益,\"A,B,D\",,《民法典》第一千零六十二条,2\n"
    plan = plan_import("bank.csv", text.encode(encoding))
    assert plan.ok, [str(p) for p in plan.problems]
    (_, category, clean), = plan.new
    assert category == "民法典" and clean["answer"] == ["A", "B", "D"] and clean["type"] == "multiple"


def test_answers_written_every_way_people_write_them_in_a_sheet():
    rows = [
        "判断,宪法,国家尊重和保障人权。,,,,,对,,《宪法》第三十三条,1",
        "判断,宪法,公民没有受教育的义务。,,,,,×,,《宪法》第四十六条,1",
        "判断,宪法,中华人民共和国的一切权力属于人民。,,,,,正确,,《宪法》第二条,1",
        "单选题,宪法,全国人大每届任期几年？,三年,四年,五年,六年,c,,《宪法》第六十条,1",
        "多选题,宪法,示例多选？,甲,乙,丙,丁,ABD,,《宪法》第一条,1",
        "多选,宪法,示例多选二？,甲,乙,丙,丁,A、C,,《宪法》第一条,1",
    ]
    plan = plan_import("bank.csv", (HEADER + "\n".join(rows) + "\n").encode())
    assert plan.ok, [str(p) for p in plan.problems]
    assert [c["answer"] for _, _, c in plan.new] == [["T"], ["F"], ["T"], ["C"], ["A", "B", "D"], ["A", "C"]]


def test_every_problem_is_reported_with_its_row_and_nothing_is_imported():
    rows = [
        "单选,民法典,好题？,甲,乙,丙,丁,B,,《民法典》第一条,1",
        "单选,民法典,答案不在选项中？,甲,乙,,,E,,《民法典》第二条,1",
        "填空,民法典,题型不认识？,甲,乙,,,A,,《民法典》第三条,1",
        "单选,民法典,出处不对？,甲,乙,,,A,,民法典第4条,1",
        "单选,,没有分类？,甲,乙,,,A,,《民法典》第五条,1",
        "单选,民法典,好题？,甲,乙,丙,丁,B,,《民法典》第一条,1",
    ]
    plan = plan_import("bank.csv", (HEADER + "\n".join(rows) + "\n").encode())
    lines = {p.line: p.message for p in plan.problems}
    assert sorted(lines) == [3, 4, 6, 7]
    assert "不在选项中" in lines[3] and "题型" in lines[4] and "分类" in lines[6] and "第 2 行" in lines[7]
    # A malformed citation is no reason to refuse: that row is kept for review.
    assert plan.pending == 1 and plan.refused == 4
    with pytest.raises(QuestionInvalid):
        apply_import(plan)
    assert db.session.scalar(select(Question.id).where(Question.stem == "好题？")) is None
    # The admin may choose to import only the good rows (the one awaiting review with them).
    assert apply_import(plan, only_valid=True) == 2
    held = db.session.scalar(select(Question).where(Question.stem == "出处不对？"))
    assert held.status == "pending" and "民法典第4条" in held.review_note


GIFT = r"""// 普法题库示例
$CATEGORY: $course$/top/民法典

// 出处：《民法典》第十七条
// 难度：2
::成年::十八周岁以上的自然人为{
  =成年人#对
  ~未成年人#错
  ~限制民事行为能力人
  ####见第十七条
}

// 出处：《民法典》第一千零六十二条
::共同财产::下列哪些属于夫妻共同财产？{
  ~%50%工资、奖金
  ~%50%生产、经营、投资的收益
  ~%-100%一方的婚前财产
}

// 出处：《民法典》第十九条
八周岁以上的未成年人为限制民事行为能力人。{TRUE}

// 出处：《民法典》第一条
转义符号 \{ \} \= \~ \# \: 都能读出吗？{=能 ~不能}

::匹配::连线{=甲 -> 乙 =丙 -> 丁}

数字题{#3:1}

问答题{}

简答题{=答案一 =答案二}
"""


def test_gift_reads_its_features_and_reports_other_types_by_line():
    result_plan = plan_import("bank.gift", GIFT.encode())
    new = {clean["stem"]: clean for _, _, clean in result_plan.new}
    adult = new["十八周岁以上的自然人为"]
    assert adult["answer"] == ["A"] and [o["text"] for o in adult["options"]] == ["成年人", "未成年人", "限制民事行为能力人"]
    assert adult["difficulty"] == 2 and adult["explanation"] == "见第十七条" and adult["source"] == "《民法典》第十七条"
    assert new["下列哪些属于夫妻共同财产？"]["type"] == "multiple" and new["下列哪些属于夫妻共同财产？"]["answer"] == ["A", "B"]
    assert new["八周岁以上的未成年人为限制民事行为能力人。"]["answer"] == ["T"]
    assert "转义符号 { } = ~ # : 都能读出吗？" in new
    unsupported = {p.line: p.message for p in result_plan.problems}
    assert set(unsupported) == {GIFT.splitlines().index(l) + 1 for l in ("::匹配::连线{=甲 -> 乙 =丙 -> 丁}", "数字题{#3:1}", "问答题{}", "简答题{=答案一 =答案二}")}
    assert all("不支持的题型" in m for m in unsupported.values())


def test_aiken_reads_questions_and_reports_a_missing_answer_line():
    text = "民法典规定的成年年龄是？\nA. 十六周岁\nB. 十八周岁\nANSWER: B\n出处：《民法典》第十七条\n\n没有答案的题？\nA. 甲\nB. 乙\n"
    plan = plan_import("民法典.txt", text.encode("gbk"), default_category="民法典")
    assert [c["answer"] for _, _, c in plan.new] == [["B"]]
    assert [(p.line, "ANSWER" in p.message) for p in plan.problems] == [(7, True)]


def test_the_template_offered_for_download_imports_cleanly():
    plan = plan_import("template.xlsx", tabular.template())
    assert plan.ok and len(plan.new) == 2


def test_unknown_extension_and_garbage_files():
    from quiz_bank.formats import UnsupportedFormat

    with pytest.raises(UnsupportedFormat):
        plan_import("bank.doc", b"x")
    assert "Excel" in plan_import("bank.xlsx", b"not a zip").problems[0].message
    assert "JSON" in plan_import("bank.json", b"{").problems[0].message


@pytest.mark.parametrize("filename", ["bank.xlsx", "bank.csv"])
def test_spreadsheet_export_holds_no_formula_and_imports_back_exactly(make, filename):
    cat = make.category(name="=民法典")
    make.question(cat, type="single", stem="=1+1", answer=["A"], explanation="'=引号等号开头的解析",
                  options=[{"key": "A", "text": "-5"}, {"key": "B", "text": "@someone"}, {"key": "C", "text": "+86"},
                           {"key": "D", "text": "'引号开头"}])
    make.question(cat, type="true_false", stem='=HYPERLINK("http://evil.invalid","x")', answer=["T"], explanation="\t缩进")
    before = _snapshot()
    data = export_bank(filename)
    if filename.endswith(".xlsx"):
        cells = [c for row in load_workbook(io.BytesIO(data)).active.iter_rows(min_row=2) for c in row]
        assert all(c.data_type != "f" for c in cells)
        values = [c.value for c in cells]
    else:
        values = [v for row in list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))[1:] for v in row]
    assert "'=1+1" in values and "'-5" in values and "'@someone" in values and "''=引号等号开头的解析" in values
    assert not any(isinstance(v, str) and v.startswith(("=", "+", "-", "@", "\t", "\r")) for v in values)
    _empty_bank()
    plan = plan_import(filename, data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert apply_import(plan) == 2
    assert _snapshot() == before
