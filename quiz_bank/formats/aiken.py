"""Aiken (.txt): a question line, options "A. …" or "A) …", then "ANSWER: B".
Aiken knows single choice only; a question whose options are exactly 正确/错误 is read
as true/false. Optional lines after ANSWER carry what Aiken has no field for:
"出处：《民法典》第十七条", "解析：…", "难度：2". The category is the one given (the
command's --category, or the file's name)."""
import re

from quiz_bank.formats import Parsed, Problem, ReadResult
from quiz_bank.formats.tabular import decode

OPTION = re.compile(r"^([A-H])\s*[.)．、]\s*(.+)$")
ANSWER = re.compile(r"^ANSWER\s*[:：]\s*([A-H])\s*$", re.I)
EXTRA = re.compile(r"^(出处|解析|难度|SOURCE|EXPLANATION|DIFFICULTY)\s*[:：]\s*(.*)$", re.I)
EXTRA_FIELDS = {"出处": "source", "source": "source", "解析": "explanation", "explanation": "explanation", "难度": "difficulty", "difficulty": "difficulty"}


def read(content: bytes, default_category: str | None = None) -> ReadResult:
    result = ReadResult()
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请使用 UTF-8 或 GBK。")])
    current = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            continue
        if current and current.get("done"):
            extra = EXTRA.match(line)
            if extra:
                current["data"][EXTRA_FIELDS[extra.group(1).lower()]] = extra.group(2).strip()
                continue
            _finish(current, result)
            current = None
        if current is None:
            current = {"line": number, "data": {"stem": line, "options": [], "explanation": "", "source": "", "difficulty": 1}}
            continue
        option, answer = OPTION.match(line), ANSWER.match(line)
        if answer:
            current["answer"] = answer.group(1).upper()
            current["done"] = True
        elif option:
            current["data"]["options"].append({"key": option.group(1), "text": option.group(2).strip()})
        elif not current["data"]["options"]:
            current["data"]["stem"] += "\n" + line
        else:
            result.problems.append(Problem(number, "无法识别这一行：应为选项（如“A. …”）或“ANSWER: B”。"))
    if current:
        _finish(current, result)
    for q in result.questions:
        q.category = default_category or ""
    return result


def _finish(current: dict, result: ReadResult) -> None:
    if not current.get("done"):
        result.problems.append(Problem(current["line"], "这道题缺少“ANSWER: ”答案行。"))
        return
    data = current["data"]
    texts = [o["text"] for o in data["options"]]
    if texts == ["正确", "错误"]:
        data.update(type="true_false", options=[], answer=["T" if current["answer"] == "A" else "F"])
    else:
        data.update(type="single", answer=[current["answer"]])
    result.questions.append(Parsed(current["line"], "", data))


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
