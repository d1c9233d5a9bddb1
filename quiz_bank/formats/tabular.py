"""Spreadsheets: .xlsx and .csv (UTF-8 with or without BOM, or GBK as Excel saves it
in China), one row a question, Chinese headers."""
import csv
import io

from core import xlsx
from quiz_bank.formats import Parsed, Problem, ReadResult
from quiz_bank.questions import OPTION_KEYS, parse_answer

OPTION_HEADERS = [f"选项{k}" for k in OPTION_KEYS]
EXAM_ONLY = "仅用于考试"
HEADERS = ["题型", "分类", "题干", *OPTION_HEADERS, "答案", "解析", "出处", "难度", EXAM_ONLY]
# 仅用于考试: 是 or 否; an empty cell (or no such column, as in older files) is 否.
YES, NO = {"是", "y", "yes", "true", "1", "√"}, {"", "否", "n", "no", "false", "0"}
TYPE_WORDS = {
    "单选": "single", "单选题": "single", "单项选择": "single", "单项选择题": "single", "single": "single",
    "多选": "multiple", "多选题": "multiple", "多项选择": "multiple", "多项选择题": "multiple", "multiple": "multiple",
    "判断": "true_false", "判断题": "true_false", "true_false": "true_false",
}
TYPE_NAMES = {"single": "单选", "multiple": "多选", "true_false": "判断"}


def _rows_to_questions(rows) -> ReadResult:
    result = ReadResult()
    rows = iter(rows)
    try:
        header = next(rows)
    except StopIteration:
        result.problems.append(Problem(1, "文件是空的。"))
        return result
    header = [str(h or "").strip() for h in header]
    missing = [h for h in ("题型", "分类", "题干", "答案", "出处") if h not in header]
    if missing:
        result.problems.append(Problem(1, f"表头缺少：{'、'.join(missing)}。请使用导入模板。"))
        return result
    col = {h: i for i, h in enumerate(header) if h}
    for number, row in enumerate(rows, start=2):
        # restore: the app's own exports prefix text a spreadsheet could take for a formula.
        cells = [xlsx.restore("" if v is None else str(v).strip()) for v in row]
        if not any(cells):
            continue

        def cell(name):
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        qtype = TYPE_WORDS.get(cell("题型").lower() if cell("题型").isascii() else cell("题型"))
        if qtype is None:
            result.problems.append(Problem(number, f"题型“{cell('题型')}”无法识别，应为单选、多选或判断。"))
            continue
        exam_only = cell(EXAM_ONLY).lower()
        if exam_only not in YES | NO:
            result.problems.append(Problem(number, f"“{EXAM_ONLY}”应填“是”或“否”（不填为否），而不是“{cell(EXAM_ONLY)}”。"))
            continue
        options = [{"key": k, "text": cell(f"选项{k}")} for k in OPTION_KEYS if cell(f"选项{k}")]
        difficulty = cell("难度") or "1"
        result.questions.append(Parsed(number, cell("分类"), {
            "type": qtype, "stem": cell("题干"), "options": options, "answer": parse_answer(cell("答案"), qtype),
            "explanation": cell("解析"), "source": cell("出处"),
            "difficulty": int(float(difficulty)) if difficulty.replace(".", "", 1).isdigit() else difficulty,
            "exam_only": exam_only in YES,
        }))
    return result


def read_xlsx(content: bytes) -> ReadResult:
    from openpyxl import load_workbook  # heavy: imported where used

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        return ReadResult(problems=[Problem(1, "无法读取这个 Excel 文件，请确认它是 .xlsx 格式。")])
    return _rows_to_questions(book.worksheets[0].iter_rows(values_only=True))


def decode(content: bytes) -> str:
    """UTF-8 (with or without BOM) first; Excel in China saves CSV as GBK."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnicodeDecodeError("gb18030", content, 0, 1, "not UTF-8 or GBK")


def read_csv(content: bytes) -> ReadResult:
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV。")])
    return _rows_to_questions(csv.reader(io.StringIO(text)))


def _exam_only_laws(categories: list[dict]) -> set[str]:
    return {c["name"] for c in categories if c.get("exam_only")}


def _as_row(q: dict, exam_only_laws: set[str]) -> list:
    options = {o["key"]: o["text"] for o in q["options"]} if q["type"] != "true_false" else {}
    answer = {"T": "正确", "F": "错误"}[q["answer"][0]] if q["type"] == "true_false" else "".join(q["answer"])
    # A sheet has no row for a law: a question of an exam-only law is written as exam-only
    # itself, so importing the sheet elsewhere cannot put it into quizzes.
    exam_only = q.get("exam_only") or q["category"] in exam_only_laws
    return [TYPE_NAMES[q["type"]], q["category"], q["stem"], *[options.get(k, "") for k in OPTION_KEYS],
            answer, q.get("explanation", ""), q["source"], q.get("difficulty", 1), "是" if exam_only else "否"]


def write_xlsx(categories: list[dict], questions: list[dict]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = "题目"
    sheet.append(HEADERS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    laws = _exam_only_laws(categories)
    for q in questions:
        sheet.append(_as_row(q, laws))
    widths = {"题干": 50, "解析": 40, "出处": 26, "分类": 14, EXAM_ONLY: 12}
    for i, h in enumerate(HEADERS, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = widths.get(h, 16 if h.startswith("选项") else 8)
    sheet.freeze_panes = "A2"
    return xlsx.to_bytes(book)


def write_csv(categories: list[dict], questions: list[dict]) -> bytes:
    out = io.StringIO()
    writer = xlsx.csv_writer(out)
    writer.writerow(HEADERS)
    laws = _exam_only_laws(categories)
    for q in questions:
        writer.writerow(_as_row(q, laws))
    # With a BOM so Excel opens the UTF-8 file correctly.
    return out.getvalue().encode("utf-8-sig")


def template() -> bytes:
    """The import template the admin panel offers: headers and one example of each type."""
    examples = [
        {"type": "single", "category": "民法典", "stem": "（示例）完全民事行为能力人的年龄是？",
         "options": [{"key": "A", "text": "十六周岁以上"}, {"key": "B", "text": "十八周岁以上"}, {"key": "C", "text": "二十周岁以上"}],
         "answer": ["B"], "explanation": "十八周岁以上的自然人为成年人，是完全民事行为能力人。", "source": "《民法典》第十八条", "difficulty": 1},
        {"type": "true_false", "category": "民法典", "stem": "（示例）八周岁以上的未成年人是限制民事行为能力人。",
         "options": [], "answer": ["T"], "explanation": "", "source": "《民法典》第十九条", "difficulty": 1},
    ]
    return write_xlsx([], examples)
