"""Spreadsheets: .xlsx and .csv (UTF-8 with or without BOM, or GBK as Excel saves it
in China), one row a question, Chinese headers.

Templates as offices have them: the header row may be anywhere in the first 10 rows
(title rows, merged or not, above it), on any sheet (an instructions sheet 填写说明
first); every sheet with the headers is read, and rows keep the sheet's own numbers."""
import csv
import io
import re
import unicodedata
from itertools import chain, islice

from core import xlsx
from quiz_bank.formats import Parsed, Problem, ReadResult, too_large_problem, unzips_too_large
from quiz_bank.questions import OPTION_KEYS, parse_answer

OPTION_HEADERS = [f"选项{k}" for k in OPTION_KEYS]
EXAM_ONLY = "仅用于考试"
HEADERS = ["题型", "分类", "题干", *OPTION_HEADERS, "答案", "解析", "出处", "难度", EXAM_ONLY]
REQUIRED = ("题型", "分类", "题干", "答案", "出处")
HEADER_ROWS = 10
# 仅用于考试: 是 or 否; an empty cell (or no such column, as in older files) is 否.
YES, NO = {"是", "y", "yes", "true", "1", "√"}, {"", "否", "n", "no", "false", "0"}
TYPE_WORDS = {
    "单选": "single", "单选题": "single", "单项选择": "single", "单项选择题": "single", "single": "single",
    "多选": "multiple", "多选题": "multiple", "多项选择": "multiple", "多项选择题": "multiple", "multiple": "multiple",
    "判断": "true_false", "判断题": "true_false", "true_false": "true_false",
}
TYPE_NAMES = {"single": "单选", "multiple": "多选", "true_false": "判断"}


def answer_text(raw: str, qtype: str, options: list[dict]) -> list[str]:
    """An answer as written (parse_answer reads B, A、C, Ａ，Ｃ, 对, √…); a 判断题 may also
    name its 正确/错误 (对/错) option by letter."""
    letter = unicodedata.normalize("NFKC", raw or "").strip().upper()
    if qtype == "true_false" and len(letter) == 1 and letter in OPTION_KEYS:
        raw = next((o["text"] for o in options if o["key"] == letter), raw)
    return parse_answer(raw, qtype)


def _header_name(value) -> str:
    # Templates mark required columns (*题干, 题干（必填）) and break headers over lines.
    return re.sub(r"[\s*＊]|[（(][^）)]*[）)]", "", str(value or ""))


def _cells(row) -> list[str]:
    return [str(v).strip() for v in row if v is not None and str(v).strip()]


def _shown(row) -> str:
    text = "、".join(_cells(row))
    return f"“{text[:40]}…”" if len(text) > 40 else f"“{text}”"


def _where(sheet: str | None) -> str:
    return f"工作表“{sheet}”" if sheet is not None else ""


def _nearest_header(rows: list) -> tuple[int, list[str]] | None:
    """(row number, required headers it lacks) of the row most like a header; None if all are empty."""
    best = None
    for number, row in enumerate(rows, start=1):
        if not _cells(row):
            continue
        names = {_header_name(v) for v in row}
        missing = [h for h in REQUIRED if h not in names]
        if best is None or len(missing) < len(best[1]):
            best = (number, missing)
    return best


def _no_header(sheet: str | None, rows: list) -> str:
    nearest = _nearest_header(rows)
    if nearest is None:
        return f"{_where(sheet) or '文件'}是空的"
    number, missing = nearest
    lacks = f"（缺少{'、'.join(missing)}）" if len(missing) < len(REQUIRED) else ""
    return f"{_where(sheet)}第 {number} 行为{_shown(rows[number - 1])}{lacks}"


def _read_sheets(sheets) -> ReadResult:
    """sheets: (name or None for CSV, iterator of rows) in the file's order."""
    result, unread = ReadResult(), []
    sheets = list(sheets)
    for name, rows in sheets:
        head = list(islice(rows, HEADER_ROWS))
        nearest = _nearest_header(head)
        if nearest is None or nearest[1]:
            unread.append((name, head, nearest))
            continue
        number = nearest[0]
        result.notes.append(f"读取{_where(name) or '文件'}：表头在第 {number} 行，题目从第 {number + 1} 行起。")
        # Several sheets: a row number alone does not say where the row is.
        label = f"（{_where(name)}）" if len(sheets) > 1 else ""
        _read_rows(head[number - 1], chain(head[number:], rows), number + 1, label, result)
    if len(unread) == len(sheets):
        if all(nearest is None for _, _, nearest in unread):
            result.problems.append(Problem(1, "文件是空的。", whole_file=True))
            return result
        found = "；".join(_no_header(name, head) for name, head, _ in unread)
        result.problems.append(Problem(1, f"没有找到表头（{'、'.join(REQUIRED)}）：{found}。表头须在前 {HEADER_ROWS} 行内，"
                                          "请使用导入模板。", whole_file=True))
        return result
    for name, head, nearest in unread:
        # Another sheet was read; one that looks like questions but lacks a column is not silently dropped.
        if nearest is not None and len(nearest[1]) <= len(REQUIRED) - 2:
            result.problems.append(Problem(nearest[0], f"{_where(name)}第 {nearest[0]} 行的表头缺少：{'、'.join(nearest[1])}，"
                                                       "这张工作表没有导入。", whole_file=True))
    return result


def _read_rows(header, rows, first: int, label: str, result: ReadResult) -> None:
    col = {}
    for i, h in enumerate(header):
        col.setdefault(_header_name(h), i)
    for number, row in enumerate(rows, start=first):
        # restore: the app's own exports prefix text a spreadsheet could take for a formula.
        cells = [xlsx.restore("" if v is None else str(v).strip()) for v in row]
        if not any(cells):
            continue

        def cell(name):
            i = col.get(name)
            return cells[i] if i is not None and i < len(cells) else ""

        qtype = TYPE_WORDS.get(cell("题型").lower() if cell("题型").isascii() else cell("题型"))
        if qtype is None:
            result.problems.append(Problem(number, f"{label}题型“{cell('题型')}”无法识别，应为单选、多选或判断。"))
            continue
        exam_only = cell(EXAM_ONLY).lower()
        if exam_only not in YES | NO:
            result.problems.append(Problem(number, f"{label}“{EXAM_ONLY}”应填“是”或“否”（不填为否），而不是“{cell(EXAM_ONLY)}”。"))
            continue
        options = [{"key": k, "text": cell(f"选项{k}")} for k in OPTION_KEYS if cell(f"选项{k}")]
        difficulty = cell("难度") or "1"
        result.questions.append(Parsed(number, cell("分类"), {
            "type": qtype, "stem": cell("题干"), "options": options, "answer": answer_text(cell("答案"), qtype, options),
            "explanation": cell("解析"), "source": cell("出处"),
            "difficulty": int(float(difficulty)) if difficulty.replace(".", "", 1).isdigit() else difficulty,
            "exam_only": exam_only in YES,
        }))


def read_xlsx(content: bytes) -> ReadResult:
    from openpyxl import load_workbook  # heavy: imported where used

    if unzips_too_large(content):
        return ReadResult(problems=[too_large_problem()])
    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:
        return ReadResult(problems=[Problem(1, "无法读取这个 Excel 文件，请确认它是 .xlsx 格式。", whole_file=True)])
    return _read_sheets((sheet.title, sheet.iter_rows(values_only=True)) for sheet in book.worksheets)


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
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请另存为 UTF-8 或 GBK 编码的 CSV。", whole_file=True)])
    return _read_sheets([(None, csv.reader(io.StringIO(text)))])


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
