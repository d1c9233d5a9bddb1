"""Word (.docx) question banks in the layouts Chinese exam banks come in."""
import io

from docx import Document
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from quiz_bank import formats
from quiz_bank.formats import wordfmt
from quiz_bank.importer import plan_import


def _docx(*blocks) -> bytes:
    """blocks: a str is a paragraph, a list of rows a table."""
    document = Document()
    for block in blocks:
        if isinstance(block, str):
            document.add_paragraph(block)
        else:
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for r, row in enumerate(block):
                for c, text in enumerate(row):
                    table.cell(r, c).text = text
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _read(*blocks, category="民法典"):
    return formats.read("题库.docx", _docx(*blocks), category)


INLINE = [
    "2026年XX镇普法知识竞赛题库",
    "一、单选题（每题 1 分）",
    "1. 夫妻双方自愿离婚的，应当签订书面离婚协议，并亲自到哪里申请离婚登记？",
    "A. 婚姻登记机关",
    "B、人民法院",
    "C．村民委员会",
    "答案：A",
    "解析：双方自愿离婚的，应当到婚姻登记机关申请离婚登记。",
    "【出处】《民法典》第一千零七十六条",
    "2、自婚姻登记机关收到离婚登记申请之日起多少日内，任何一方不愿意离婚的，可以撤回申请？",
    "A．十日",
    "B．三十日",
    "C．六十日",
    "答案：Ｂ",
    "出处：《民法典》第一千零七十七条",
    "二、多项选择题",
    "（1）下列财产中，属于夫妻共同财产的有？",
    "A、工资、奖金、劳务报酬",
    "B、生产、经营、投资的收益",
    "C、一方的婚前财产",
    "【答案】A、B",
    "【出处】《民法典》第一千零六十二条",
    "三、判断题",
    "1. 有配偶者与他人同居的，离婚时无过错方有权请求损害赔偿。",
    "答案：√",
    "出处：《民法典》第一千零九十一条",
    "2. 离婚后，子女由一方直接抚养的，另一方没有探望子女的权利。",
    "答案：错",
    "出处：《民法典》第一千零八十六条",
    "3. 完全民事行为能力人是十八周岁以上的自然人。",
    "A. 正确",
    "B. 错误",
    "答案：A",
]


def test_answers_after_each_question_in_sections_of_each_type():
    result = _read(*INLINE)
    assert not result.problems, [str(p) for p in result.problems]
    got = [(q.line, q.category, q.data["type"], q.data["answer"], q.data["source"]) for q in result.questions]
    assert got == [
        (3, "民法典", "single", ["A"], "《民法典》第一千零七十六条"),
        (10, "民法典", "single", ["B"], "《民法典》第一千零七十七条"),
        (17, "民法典", "multiple", ["A", "B"], "《民法典》第一千零六十二条"),
        (24, "民法典", "true_false", ["T"], "《民法典》第一千零九十一条"),
        (27, "民法典", "true_false", ["F"], "《民法典》第一千零八十六条"),
        (30, "民法典", "true_false", ["T"], ""),
    ]
    first = result.questions[0].data
    assert first["options"] == [{"key": "A", "text": "婚姻登记机关"}, {"key": "B", "text": "人民法院"},
                                {"key": "C", "text": "村民委员会"}]
    assert first["explanation"] == "双方自愿离婚的，应当到婚姻登记机关申请离婚登记。"


def test_a_question_without_citation_is_read_and_imported_for_review():
    plan = plan_import("民法典.docx", _docx(*INLINE), "民法典")
    assert plan.ok, [str(p) for p in plan.problems]
    assert len(plan.new) == 6 and plan.pending == 1


def test_several_options_on_one_line():
    result = _read(
        "一、单选题",
        "1. 限制民事行为能力人实施的纯获利益的民事法律行为效力如何？",
        "A.有效  B.无效  C.可撤销\tD.效力待定",
        "答案：A",
        "出处：《民法典》第一百四十五条",
        "2. 下列属于无民事行为能力人的是？",
        "A、不满八周岁的未成年人　B、十六周岁的未成年人",
        "C、年满十八周岁的成年人 D、以自己的劳动收入为主要生活来源的十六周岁未成年人",
        "答案：A",
        "出处：《民法典》第二十条",
        "3. 收养应当遵循什么原则？",
        "A.最有利于被收养人B.收养人利益优先C.送养人意愿优先",
        "答案：A",
        "出处：《民法典》第一千零四十四条",
    )
    assert not result.problems, [str(p) for p in result.problems]
    assert [o["text"] for o in result.questions[0].data["options"]] == ["有效", "无效", "可撤销", "效力待定"]
    assert [o["key"] for o in result.questions[1].data["options"]] == ["A", "B", "C", "D"]
    assert result.questions[1].data["options"][3]["text"] == "以自己的劳动收入为主要生活来源的十六周岁未成年人"
    assert [o["text"] for o in result.questions[2].data["options"]] == ["最有利于被收养人", "收养人利益优先", "送养人意愿优先"]


def test_an_answer_key_at_the_end_in_lines():
    result = _read(
        "一、单选题",
        *[line for n in range(1, 7) for line in (f"{n}. 民法典单选第{n}题？", "A. 甲", "B. 乙", "C. 丙", "D. 丁",
                                                  f"出处：《民法典》第{'一二三四五六'[n - 1]}条")],
        "二、多选题",
        "1. 民法典多选第1题？", "A. 甲 B. 乙 C. 丙 D. 丁",
        "2. 民法典多选第2题？", "A. 甲 B. 乙 C. 丙 D. 丁",
        "三、判断题",
        "1. 民法典判断第1题。", "2. 民法典判断第2题。",
        "参考答案",
        "一、单选题",
        "1-5 ABCDA　6．B",
        "二、多选题 1.AB 2.ACD",
        "三、判断题：1、√ 2、×",
    )
    assert not result.problems, [str(p) for p in result.problems]
    got = [(q.data["type"], q.data["answer"]) for q in result.questions]
    assert got == [("single", ["A"]), ("single", ["B"]), ("single", ["C"]), ("single", ["D"]), ("single", ["A"]),
                   ("single", ["B"]), ("multiple", ["A", "B"]), ("multiple", ["A", "C", "D"]),
                   ("true_false", ["T"]), ("true_false", ["F"])]


def test_an_answer_key_table_at_the_end():
    questions = [line for n in range(1, 5) for line in (f"{n}. 民法典第{n}题？", "A. 甲  B. 乙  C. 丙")]
    across = _read(*questions, "参考答案", [["题号", "1", "2", "3", "4"], ["答案", "A", "C", "BC", "B"]])
    down = _read(*questions, "参考答案", [["题号", "答案"], ["1", "A"], ["2", "C"], ["3", "B、C"], ["4", "B"]])
    for result in (across, down):
        assert not result.problems, [str(p) for p in result.problems]
        assert [(q.data["type"], q.data["answer"]) for q in result.questions] == [
            ("single", ["A"]), ("single", ["C"]), ("multiple", ["B", "C"]), ("single", ["B"])]


def test_answers_missing_from_or_extra_in_the_key_are_reported():
    result = _read("1. 第一题？", "A. 甲 B. 乙", "2. 第二题？", "A. 甲 B. 乙", "答案", "1.B 3.A")
    assert [str(p) for p in result.problems] == [
        "第 3 段：第 2 题没有答案：请在题后加“答案：”行，或在文末加答案表。",
        "第 6 段：答案表中第 3 题的答案“A”没有对应的题目。",
    ]


def test_a_malformed_question_is_reported_by_its_paragraph_once():
    result = _read(
        "一、单选题",
        "1. 婚姻家庭受国家保护。实行婚姻自由、一夫一妻、男女平等的婚姻制度，出自哪部法律？",
        "A. 民法典", "B. 刑法",
        "答案：A",
        "出处：《民法典》第一千零四十一条",
        "禁止包办、买卖婚姻和其他干涉婚姻自由的行为，出自哪一条？",  # number left out: paragraph 7
        "A. 第一千零四十二条", "B. 第一千零四十三条",
        "答案：A",
        "3. 家庭应当树立优良家风，弘扬家庭美德，出自哪一条？",
        "A. 第一千零四十三条", "B. 第一千零四十四条",
        "答案：A",
        "出处：《民法典》第一千零四十三条",
    )
    assert [q.line for q in result.questions] == [2, 11]
    (problem,) = result.problems
    assert problem.line == 7 and str(problem).startswith("第 7 段：无法识别这一段“禁止包办、买卖婚姻")
    assert not problem.whole_file


def test_unsupported_sections_are_reported_per_question():
    result = _read("一、填空题", "1. 民法典自____起施行。", "答案：2021年1月1日")
    assert [str(p) for p in result.problems] == ["第 2 段：不支持的题型“填空题”（填空题第 1 题），只能导入单选、多选和判断题。"]


def test_a_category_line_names_the_law_of_the_questions_after_it():
    result = _read("分类：宪法", "1. 中华人民共和国的一切权力属于人民。", "答案：对", "出处：《宪法》第二条",
                   "分类：民法典", "1. 十八周岁以上的自然人为成年人。", "答案：正确", category="普法题库")
    assert [(q.category, q.data["type"], q.data["answer"]) for q in result.questions] == [
        ("宪法", "true_false", ["T"]), ("民法典", "true_false", ["T"])]


def test_problems_about_the_whole_file_are_marked_as_such():
    (unreadable,) = formats.read("题库.docx", b"PK not really a docx").problems
    assert unreadable.whole_file and "Word" in unreadable.message
    (empty,) = _read("2026年普法学习材料", "第一章 总则").problems
    assert empty.whole_file and "没有找到题目" in empty.message
    plan = plan_import("题库.docx", _docx("只有标题"), "民法典")
    assert plan.total == 0 and len(plan.file_problems) == 1


def test_questions_and_options_numbered_by_word_itself():
    """The 编号 button: Word draws "1." and "A." but they are not in the paragraphs' text."""
    document = Document()
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="90">'
        '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>'
        '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="upperLetter"/><w:lvlText w:val="%2、"/></w:lvl>'
        '</w:abstractNum>'))
    numbering.append(parse_xml(f'<w:num {nsdecls("w")} w:numId="90"><w:abstractNumId w:val="90"/></w:num>'))

    def numbered(text, level):
        num_pr = document.add_paragraph(text)._p.get_or_add_pPr().get_or_add_numPr()
        num_pr.get_or_add_numId().val, num_pr.get_or_add_ilvl().val = 90, level

    document.add_paragraph("一、单选题")
    for stem, options, answer, source in [
        ("法定婚龄，男不得早于多少周岁？", ["二十", "二十二"], "B", "《民法典》第一千零四十七条"),
        ("法定婚龄，女不得早于多少周岁？", ["二十", "二十二"], "A", "《民法典》第一千零四十七条"),
    ]:
        numbered(stem, 0)
        for option in options:
            numbered(option, 1)
        document.add_paragraph(f"答案：{answer}")
        document.add_paragraph(f"出处：{source}")
    out = io.BytesIO()
    document.save(out)
    result = formats.read("题库.docx", out.getvalue(), "民法典")
    assert not result.problems, [str(p) for p in result.problems]
    assert [(q.line, q.data["options"], q.data["answer"]) for q in result.questions] == [
        (2, [{"key": "A", "text": "二十"}, {"key": "B", "text": "二十二"}], ["B"]),
        (7, [{"key": "A", "text": "二十"}, {"key": "B", "text": "二十二"}], ["A"]),
    ]


def test_paragraph_problems_read_as_paragraphs():
    """The reader's own problems and the importer's (a bad answer, a duplicate) both say 段."""
    doc = _docx(*["一、单选题", "1. 结婚年龄，男不得早于几周岁？", "A. 二十", "B. 二十二", "答案：E", "出处：《民法典》第一千零四十七条",
                 "2. 这一题没有选项。", "答案：A"])
    plan = plan_import("题库.docx", doc, "民法典")
    assert plan.problems and all(str(p).startswith("第 ") and " 段：" in str(p) for p in plan.problems)
