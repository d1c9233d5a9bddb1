"""Spreadsheets as township offices have them: a title row above the headers, an
instructions sheet first, 判断题 answered by letter, full-width answers."""
import io

from openpyxl import Workbook

from quiz_bank import formats
from quiz_bank.importer import plan_import

HEADER = ["题型", "分类", "题干", "选项A", "选项B", "选项C", "选项D", "答案", "解析", "出处", "难度"]
DIVORCE = ["单选", "民法典", "夫妻双方自愿离婚的，应当如何办理？", "到婚姻登记机关申请离婚登记", "到居委会备案", "到法院公证", "",
           "A", "", "《民法典》第一千零七十六条", 1]
ADULT = ["判断", "民法典", "十八周岁以上的自然人为成年人。", "", "", "", "", "正确", "", "《民法典》第十七条", 1]


def _xlsx(*sheets) -> bytes:
    """sheets: (title, rows, merged ranges)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows, merged in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        for cells in merged:
            sheet.merge_cells(cells)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_merged_title_row_above_the_headers_is_skipped_and_rows_keep_their_numbers():
    data = _xlsx(("题库", [["XX镇普法题库"], ["（2026 年版）"], HEADER, DIVORCE,
                         ["填空", "民法典", "不认识的题型？", "", "", "", "", "A", "", "《民法典》第一条", 1], ADULT],
                  ["A1:K1", "A2:K2"]))
    plan = plan_import("bank.xlsx", data)
    assert [(line, clean["stem"]) for line, _, clean in plan.new] == [(4, DIVORCE[2]), (6, ADULT[2])]
    assert [(p.line, "题型“填空”" in p.message) for p in plan.problems] == [(5, True)]


def test_a_title_row_in_a_csv_is_skipped_too():
    text = "XX镇普法题库,,,,,,,,,,\n" + ",".join(HEADER) + "\n" + ",".join(map(str, DIVORCE)) + "\n"
    plan = plan_import("bank.csv", text.encode("gbk"))
    assert plan.ok, [str(p) for p in plan.problems]
    assert [line for line, _, _ in plan.new] == [3]


def test_an_instructions_sheet_before_the_data_sheet_is_skipped():
    notes = [["填写说明"], ["1. 题型填写单选、多选或判断；"], ["2. 出处写成《民法典》第十七条这样的形式。"]]
    data = _xlsx(("填写说明", notes, []), ("题目", [HEADER, DIVORCE, ADULT], []))
    plan = plan_import("bank.xlsx", data)
    assert plan.ok, [str(p) for p in plan.problems]
    assert [line for line, _, _ in plan.new] == [2, 3]
    # The clerk is told which sheet and row were read as the header.
    assert plan.notes == ["读取工作表“题目”：表头在第 1 行，题目从第 2 行起。"]


def test_no_header_on_any_sheet_names_each_sheet_and_the_row_it_has():
    notes = [["填写说明"], ["题型填写单选、多选或判断"]]
    wrong = [["XX镇普法题库"], ["题型", "分类", "题目", "选项A", "选项B", "答案"], ["单选", "民法典", "某题？", "甲", "乙", "A"]]
    problems = formats.read("bank.xlsx", _xlsx(("填写说明", notes, []), ("Sheet1", wrong, []))).problems
    assert len(problems) == 1 and problems[0].whole_file
    message = problems[0].message
    assert message.startswith("没有找到表头（题型、分类、题干、答案、出处）：工作表“填写说明”第 1 行为“填写说明”；")
    assert "工作表“Sheet1”第 2 行为“题型、分类、题目、选项A、选项B、答案”（缺少题干、出处）" in message


def test_a_sheet_that_lacks_a_column_is_reported_when_another_sheet_is_read():
    data = _xlsx(("单选", [HEADER, DIVORCE], []), ("判断", [["题型", "分类", "题干", "答案"], ADULT[:3] + ["正确"]], []))
    result = formats.read("bank.xlsx", data)
    assert [q.data["stem"] for q in result.questions] == [DIVORCE[2]]
    (problem,) = result.problems
    assert problem.whole_file and "工作表“判断”第 1 行的表头缺少：出处" in problem.message


def test_row_problems_name_the_sheet_when_the_workbook_has_several():
    bad = ["填空", "民法典", "不认识的题型？", "", "", "", "", "A", "", "《民法典》第一条", 1]
    data = _xlsx(("填写说明", [["填写说明"]], []), ("题目", [HEADER, DIVORCE, bad], []))
    (problem,) = formats.read("bank.xlsx", data).problems
    assert problem.line == 3 and "工作表“题目”" in problem.message and not problem.whole_file


def test_true_false_written_with_options_and_a_letter_answer():
    rows = [
        ["判断", "民法典", "十八周岁以上的自然人为成年人。", "正确", "错误", "", "", "A", "", "《民法典》第十七条", 1],
        ["判断", "民法典", "八周岁以下的未成年人可以独立实施一切民事法律行为。", "正确", "错误", "", "", "B", "", "《民法典》第二十条", 1],
        ["判断题", "民法典", "结婚应当男女双方完全自愿。", "对", "错", "", "", "a", "", "《民法典》第一千零四十六条", 1],
        ["判断", "民法典", "夫妻在家庭中地位平等。", "错误", "正确", "", "", "B", "", "《民法典》第一千零五十五条", 1],
        ["判断", "民法典", "禁止借婚姻索取财物。", "正确", "错误", "", "", "Ａ", "", "《民法典》第一千零四十二条", 1],
    ]
    plan = plan_import("bank.xlsx", _xlsx(("题目", [HEADER, *rows], [])))
    assert plan.ok, [str(p) for p in plan.problems]
    assert [(c["type"], c["answer"]) for _, _, c in plan.new] == [("true_false", ["T"]), ("true_false", ["F"]),
                                                                 ("true_false", ["T"]), ("true_false", ["T"]),
                                                                 ("true_false", ["T"])]


def test_full_width_letters_and_separators_in_answers():
    rows = [
        ["单选", "民法典", "离婚冷静期是多少日？", "十五日", "三十日", "六十日", "九十日", "Ｂ", "", "《民法典》第一千零七十七条", 1],
        *[["多选", "民法典", f"下列哪些属于夫妻共同财产？（{n}）", "工资、奖金", "婚前个人财产", "继承所得", "生产经营收益", answer, "",
           "《民法典》第一千零六十二条", 1] for n, answer in enumerate(["Ａ，Ｃ，Ｄ", "A,C,D", "A；C；D", "Ａ、Ｃ、Ｄ", "ＡＣＤ"])],
    ]
    plan = plan_import("bank.xlsx", _xlsx(("题目", [HEADER, *rows], [])))
    assert plan.ok, [str(p) for p in plan.problems]
    assert [c["answer"] for _, _, c in plan.new] == [["B"]] + [["A", "C", "D"]] * 5


def test_problems_about_the_whole_file_are_marked_as_such():
    assert formats.read("bank.xlsx", b"not a zip").problems[0].whole_file
    assert formats.read("bank.csv", b"\xff\xfe\x00\xd8\x00").problems[0].whole_file
    assert formats.read("bank.csv", b"").problems[0].whole_file
    (no_header,) = formats.read("bank.csv", "题目,答案\n某题,A\n".encode()).problems
    assert no_header.whole_file and "第 1 行为“题目、答案”" in no_header.message
    plan = plan_import("bank.csv", "题目,答案\n某题,A\n".encode())
    assert plan.total == 0 and len(plan.file_problems) == 1

