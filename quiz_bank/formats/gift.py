"""Moodle GIFT: $CATEGORY:, ::titles::, // comments, single choice (=/~), multiple
answers with percentage weights (~%50%), true/false ({T}, {FALSE}), feedback (#, ####)
and escapes (\\~ \\= \\# \\{ \\} \\:). Other GIFT question types are reported, line by line,
as not supported. Our own comments carry what GIFT has no field for:
`// 出处：《民法典》第十七条` and `// 难度：2` just before a question."""
import re

from quiz_bank.formats import Parsed, Problem, ReadResult

ESCAPES = {"\\~": "\x01", "\\=": "\x02", "\\#": "\x03", "\\{": "\x04", "\\}": "\x05", "\\:": "\x06", "\\n": "\n"}
UNESCAPE = {v: k[1] for k, v in ESCAPES.items() if k != "\\n"}
META = re.compile(r"^//\s*(出处|难度|解析)\s*[:：]\s*(.*)$")
TF = {"T": "T", "TRUE": "T", "F": "F", "FALSE": "F"}


def _unescape(text: str) -> str:
    for placeholder, char in UNESCAPE.items():
        text = text.replace(placeholder, char)
    return text.strip()


def _blocks(text: str):
    """Yield (first line number, lines) of each blank-line separated block."""
    block, start = [], 0
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield start, block
            block = []
    if block:
        yield start, block


GIFT_MARKS = re.compile(r"^\s*(::.*::|\$CATEGORY:)|\{\s*(=|~|T\s*\}|F\s*\}|TRUE|FALSE)", re.M)


def looks_like_gift(content: bytes) -> bool:
    """Whether a .txt holds GIFT (titles, $CATEGORY, {…} answer blocks) rather than Aiken."""
    from quiz_bank.formats.tabular import decode

    try:
        return GIFT_MARKS.search(decode(content)) is not None
    except UnicodeDecodeError:
        return False


def read(content: bytes, default_category: str | None = None) -> ReadResult:
    from quiz_bank.formats.tabular import decode

    result = ReadResult()
    try:
        text = decode(content)
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请使用 UTF-8。")])
    for esc, placeholder in ESCAPES.items():
        text = text.replace(esc, placeholder)
    category = default_category or ""
    for start, lines in _blocks(text):
        meta, body = {}, []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("$CATEGORY:"):
                category = _unescape(stripped[len("$CATEGORY:"):]).split("/")[-1].strip()
            elif stripped.startswith("//"):
                found = META.match(stripped)
                if found:
                    meta[found.group(1)] = _unescape(found.group(2))
            else:
                body.append(line)
        if body:
            _question(start, "\n".join(body), category, meta, result)
    return result


def _question(line: int, text: str, category: str, meta: dict, result: ReadResult) -> None:
    title = re.match(r"^\s*::(.*?)::", text, re.S)
    if title:
        text = text[title.end():]
    text = re.sub(r"^\s*\[(html|moodle|plain|markdown)\]", "", text)
    open_at, close_at = text.find("{"), text.rfind("}")
    if open_at < 0 or close_at < open_at:
        result.problems.append(Problem(line, "不支持的题型：说明文字（没有答案部分），已忽略。"))
        return
    before, inside, after = text[:open_at], text[open_at + 1:close_at], text[close_at + 1:]
    stem = _unescape(before) + ("（　）" + _unescape(after) if after.strip() else "")
    explanation = meta.get("解析", "")
    if "####" in inside:
        inside, general = inside.split("####", 1)
        explanation = explanation or _unescape(general)
    body = inside.strip()
    data = {"stem": stem, "explanation": explanation, "source": meta.get("出处", ""), "difficulty": meta.get("难度") or 1}
    if not body:
        result.problems.append(Problem(line, "不支持的题型：问答题（essay）。"))
        return
    if body.startswith("#"):
        result.problems.append(Problem(line, "不支持的题型：数值题。"))
        return
    tf = TF.get(body.split("#")[0].strip().upper())
    if tf:
        result.questions.append(Parsed(line, category, {**data, "type": "true_false", "options": [], "answer": [tf]}))
        return
    answers = re.findall(r"([=~])([^=~]*)", body)
    if any("->" in a for _, a in answers):
        result.problems.append(Problem(line, "不支持的题型：匹配题。"))
        return
    options, correct, weighted = [], [], False
    for mark, raw in answers:
        raw = raw.split("#")[0]  # per-answer feedback is not kept
        weight = re.match(r"\s*%(-?\d+(?:\.\d+)?)%", raw)
        if weight:
            weighted = True
            raw = raw[weight.end():]
        key = "ABCDEFGH"[len(options)] if len(options) < 8 else None
        if key is None:
            result.problems.append(Problem(line, "选项超过 8 个。"))
            return
        options.append({"key": key, "text": _unescape(raw)})
        if (mark == "=") or (weight and float(weight.group(1)) > 0):
            correct.append(key)
    if not any(mark == "~" for mark, _ in answers):
        result.problems.append(Problem(line, "不支持的题型：填空（简答）题。"))
        return
    qtype = "multiple" if weighted and len(correct) > 1 else "single"
    result.questions.append(Parsed(line, category, {**data, "type": qtype, "options": options, "answer": correct}))


def _escape(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\n", "\\n")


def write(categories: list[dict], questions: list[dict]) -> bytes:
    out, current = [], None
    for n, q in enumerate(questions, start=1):
        if q["category"] != current:
            current = q["category"]
            out.append(f"$CATEGORY: {_escape(current)}\n")
        out.append(f"// 出处：{q['source']}")
        out.append(f"// 难度：{q.get('difficulty', 1)}")
        general = f"####{_escape(q['explanation'])}" if q.get("explanation") else ""
        head = f"::Q{n}::{_escape(q['stem'])}"
        if q["type"] == "true_false":
            out.append(f"{head}{{{'TRUE' if q['answer'] == ['T'] else 'FALSE'}{general}}}\n")
            continue
        lines = [head + "{"]
        if q["type"] == "single":
            lines += [f"\t{'=' if o['key'] in q['answer'] else '~'}{_escape(o['text'])}" for o in q["options"]]
        else:
            share = f"{100 / len(q['answer']):.5f}".rstrip("0").rstrip(".")
            lines += [f"\t~%{share if o['key'] in q['answer'] else '-100'}%{_escape(o['text'])}" for o in q["options"]]
        if general:
            lines.append(f"\t{general}")
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out).encode("utf-8")
