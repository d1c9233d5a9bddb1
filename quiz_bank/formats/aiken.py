"""Aiken (.txt): a question line, options "A. …" or "A) …" (a space after the letter
optional, as Moodle reads them), then "ANSWER: B". Aiken knows single choice only; a
question whose options are exactly 正确/错误 is read as true/false. Optional lines after
ANSWER carry what Aiken has no field for: "出处：《民法典》第十七条", "解析：…", "难度：2".
The category is the one given (the command's --category, or the file's name).

Read block by block (blocks are separated by blank lines; a question also ends at its
ANSWER line and the extra lines after it): each question is read, or reported as one
problem at its first line and left out whole, so a broken question never runs into the
next one. A .txt that has neither Aiken's options nor its ANSWER lines (nor GIFT's
marks, or it would have been read as GIFT) is reported as a file of unknown format."""
import re

from quiz_bank.formats import Parsed, Problem, ReadResult, blank_line_blocks
from quiz_bank.formats.tabular import decode

OPTION = re.compile(r"^([A-H])\s*[.)．、）]\s*(.+)$")
ANSWER = re.compile(r"^ANSWER\s*[:：]\s*(.*)$", re.I)
EXTRA = re.compile(r"^(出处|解析|难度|SOURCE|EXPLANATION|DIFFICULTY)\s*[:：]\s*(.*)$", re.I)
EXTRA_FIELDS = {"出处": "source", "source": "source", "解析": "explanation", "explanation": "explanation", "难度": "difficulty", "difficulty": "difficulty"}
NOT_STARTED = "题目还没有开始：这一段以选项、“ANSWER:”或出处等行开头，没有题干（应先写题目，再写选项“A. …”和“ANSWER: B”），整段未读入。"
UNKNOWN_FORMAT = ("无法识别文件格式：既不是 GIFT（没有 ::标题::、{…} 答案部分或 $CATEGORY: 行），"
                  "也不是 Aiken（没有“A. …”选项行和“ANSWER: B”答案行）。")


def read(content: bytes, default_category: str | None = None) -> ReadResult:
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请使用 UTF-8 或 GBK。", whole_file=True)])
    category = default_category or ""
    blocks = [[(n, line.strip()) for n, line in block] for block in blank_line_blocks(text)]
    result, last = ReadResult(), None
    for block in blocks:
        if isinstance(last, Parsed) and all(EXTRA.match(line) for _, line in block):
            _extras(last.data, block)  # 出处 and the like after a blank line still belong to the question above
            continue
        while block:
            last, block = _take(block, category)
            (result.questions if isinstance(last, Parsed) else result.problems).append(last)
    if not result.questions and not any(OPTION.match(line) or ANSWER.match(line) for b in blocks for _, line in b):
        message = UNKNOWN_FORMAT if text.strip() else "文件是空的，没有题目。"
        return ReadResult(problems=[Problem(1, message, whole_file=True)])
    return result


def _take(block: list, category: str):
    """The question at the front of a block, or the one problem that keeps it out, and the
    lines left after its ANSWER line and extras (the next question, if any)."""
    first, head = block[0]
    if OPTION.match(head) or ANSWER.match(head) or EXTRA.match(head):
        return Problem(first, NOT_STARTED), []
    stem, options = [head], []
    for index, (number, line) in enumerate(block[1:], start=1):
        option, answer = OPTION.match(line), ANSWER.match(line)
        if answer:
            rest = block[index + 1:]
            extras = 0
            while extras < len(rest) and EXTRA.match(rest[extras][1]):
                extras += 1
            return _question(first, stem, options, answer.group(1), rest[:extras], category), rest[extras:]
        if option:
            options.append({"key": option.group(1), "text": option.group(2).strip()})
        elif not options:
            stem.append(line)
        else:
            return Problem(first, f"第 {number} 行“{line[:20]}”无法识别：应为选项（如“A. …”）或“ANSWER: B”，这道题未读入。"), []
    return Problem(first, "这道题缺少“ANSWER: ”答案行。"), []


def _question(first: int, stem: list, options: list, letter: str, extras: list, category: str):
    if not options:
        return Problem(first, "这道题没有选项（应为“A. …”“B. …”），未读入。")
    letter = letter.strip().upper()
    if not re.fullmatch(r"[A-H]", letter):
        return Problem(first, f"答案“{letter}”应为一个选项字母（Aiken 只有单选题），这道题未读入。")
    data = {"stem": "\n".join(stem), "options": options, "explanation": "", "source": "", "difficulty": 1}
    _extras(data, extras)
    if [o["text"] for o in options] == ["正确", "错误"]:
        data.update(type="true_false", options=[], answer=["T" if letter == "A" else "F"])
    else:
        data.update(type="single", answer=[letter])
    return Parsed(first, category, data)


def _extras(data: dict, lines: list) -> None:
    for _, line in lines:
        extra = EXTRA.match(line)
        data[EXTRA_FIELDS[extra.group(1).lower()]] = extra.group(2).strip()


def write(categories: list[dict], questions: list[dict]) -> bytes:
    """Multiple-choice questions cannot be written in Aiken and are left out."""
    out = []
    for q in questions:
        if q["type"] == "multiple":
            continue
        stem = q["stem"].replace("\n", " ")
        if q["type"] == "true_false":
            lines = [stem, "A. 正确", "B. 错误", f"ANSWER: {'A' if q['answer'] == ['T'] else 'B'}"]
        else:
            lines = [stem, *[f"{o['key']}. {o['text']}" for o in q["options"]], f"ANSWER: {q['answer'][0]}"]
        lines.append(f"出处：{q['source']}")
        if q.get("explanation"):
            lines.append(f"解析：{q['explanation'].replace(chr(10), ' ')}")
        lines.append(f"难度：{q.get('difficulty', 1)}")
        out.append("\n".join(lines))
    return ("\n\n".join(out) + "\n").encode("utf-8")
