"""Moodle GIFT: $CATEGORY:, ::titles::, // comments, single choice (=/~), multiple
answers with percentage weights (~%50%), true/false ({T}, {FALSE}), feedback (#, ####)
and escapes (\\~ \\= \\# \\{ \\} \\: \\\\ \\n). Format markers ([html] [moodle] [plain]
[markdown]) are dropped and text is read as HTML, as Moodle writes it: tags and entities
become plain text. Other GIFT question types (short answer, matching, numerical, essay)
are reported, line by line, as not supported. Our own comments carry what GIFT has no
field for: `// 出处：《民法典》第十七条` and `// 难度：2` just before a question."""
import html
import re

import nh3

from quiz_bank.formats import Parsed, Problem, ReadResult, blank_line_blocks

# Escaped characters become private-use placeholders while a question is cut into its
# parts, so an escaped ~ = # { } : never counts as GIFT syntax and an escaped newline
# never splits a block; they are restored in each part's text.
ESCAPABLE = "\\~=#{}:n"
PLACEHOLDER = {c: chr(0xE000 + i) for i, c in enumerate(ESCAPABLE)}
RESTORE = {ord(p): ("\n" if c == "n" else c) for c, p in PLACEHOLDER.items()}
ESCAPED = re.compile(r"\\([\\~=#{}:n])")
META = re.compile(r"^//\s*(出处|难度|解析)\s*[:：]\s*(.*)$")
TF = {"T": "T", "TRUE": "T", "F": "F", "FALSE": "F"}
MARKER = re.compile(r"^\s*\[(html|moodle|plain|markdown)\]")
WEIGHT = re.compile(r"^\s*%(-?\d+(?:\.\d+)?)%")
TAG = re.compile(r"<[a-zA-Z/!]")
LINE_BREAK = re.compile(r"<br\s*/?>|</(?:p|div|li|h[1-6]|tr)\s*>", re.I)

STRONG_MARKS = re.compile(r"^\s*(::.*?::|\$CATEGORY:)", re.M)
ANSWER_BLOCK = re.compile(r"(?<!\\)\{\s*(?:[=~#}]|(?:T|F|TRUE|FALSE)\s*[#}])", re.I)
AIKEN_ANSWER = re.compile(r"^\s*ANSWER\s*[:：]", re.M | re.I)


def looks_like_gift(content: bytes) -> bool:
    """Whether a .txt holds GIFT rather than Aiken: a ::title:: or $CATEGORY: line, or
    {…} answer blocks in a file without Aiken's ANSWER: lines."""
    from quiz_bank.formats.tabular import decode

    try:
        text = decode(content)
    except UnicodeDecodeError:
        return False
    if STRONG_MARKS.search(text):
        return True
    return not AIKEN_ANSWER.search(text) and ANSWER_BLOCK.search(text) is not None


def _restore(text: str) -> str:
    return text.translate(RESTORE).strip()


def _text(raw: str) -> str:
    """A stem, option or feedback as plain text: escapes restored, format marker dropped,
    HTML turned into text (whatever the marker: the bank keeps plain text only)."""
    return _from_html(MARKER.sub("", raw.translate(RESTORE), count=1)).strip()


def _from_html(text: str) -> str:
    """Tags dropped by the sanitiser (a paragraph or <br> kept as a line break), then entities decoded."""
    if TAG.search(text):
        text = nh3.clean(LINE_BREAK.sub("\n", text), tags=set())
        text = re.sub(r"[ \t\xa0]*\n\s*", "\n", html.unescape(text))
    elif "&" in text:
        text = html.unescape(text)
    return text.replace("\xa0", " ")


def _category(raw: str) -> str:
    """The last part of a Moodle category path ($course$/top/民法典); // is a slash in a name."""
    return _restore(re.split(r"(?<!/)/(?!/)", raw)[-1].replace("//", "/"))


def read(content: bytes, default_category: str | None = None) -> ReadResult:
    from quiz_bank.formats.tabular import decode

    try:
        text = decode(content)
    except UnicodeDecodeError:
        return ReadResult(problems=[Problem(1, "无法识别文件编码，请使用 UTF-8。", whole_file=True)])
    text = ESCAPED.sub(lambda m: PLACEHOLDER[m.group(1)], text)
    result = ReadResult()
    category = default_category or ""
    for block in blank_line_blocks(text):
        meta, body = {}, []
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("$CATEGORY:"):
                category = _category(stripped[len("$CATEGORY:"):])
            elif stripped.startswith("//"):
                found = META.match(stripped)
                if found:
                    meta[found.group(1)] = _restore(found.group(2))
            else:
                body.append((number, line))
        if body:
            _question(body[0][0], "\n".join(line for _, line in body), category, meta, result)
    if not result.questions and not result.problems:
        result.problems.append(Problem(1, "文件中没有题目。", whole_file=True))
    return result


def _question(line: int, text: str, category: str, meta: dict, result: ReadResult) -> None:
    title = re.match(r"^\s*::(.*?)::", text, re.S)
    if title:
        text = text[title.end():]
    open_at, close_at = text.find("{"), text.rfind("}")
    if open_at < 0 or close_at < open_at:
        result.problems.append(Problem(line, "不支持的题型：说明文字（没有答案部分），已忽略。"))
        return
    before, inside, after = text[:open_at], text[open_at + 1:close_at], text[close_at + 1:]
    stem = _text(before + "（　）" + after if after.strip() else before)
    explanation = meta.get("解析", "")
    if "####" in inside:
        inside, general = inside.split("####", 1)
        explanation = explanation or _text(general)
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
    # Moodle's order: any ~ makes a choice question, so "->" in an option is only text.
    if not any(mark == "~" for mark, _ in answers):
        if any("->" in a for _, a in answers):
            result.problems.append(Problem(line, "不支持的题型：匹配题。"))
        elif answers:
            result.problems.append(Problem(line, "不支持的题型：填空（简答）题（只有正确答案，没有错误选项）。"))
        else:
            result.problems.append(Problem(line, "无法识别答案部分：选项应以 = （正确）或 ~ （错误）开头。"))
        return
    options, correct, weighted = [], [], False
    for mark, raw in answers:
        raw = raw.split("#")[0]  # per-answer feedback is not kept
        weight = WEIGHT.match(raw)
        if weight:
            weighted = True
            raw = raw[weight.end():]
        if len(options) == 8:
            result.problems.append(Problem(line, "选项超过 8 个。"))
            return
        key = "ABCDEFGH"[len(options)]
        options.append({"key": key, "text": _text(raw)})
        if (float(weight.group(1)) > 0) if weight else mark == "=":
            correct.append(key)
    qtype = "multiple" if weighted and len(correct) > 1 else "single"
    result.questions.append(Parsed(line, category, {**data, "type": qtype, "options": options, "answer": correct}))


def _escape(text: str) -> str:
    """Text as the reader reads it back: HTML-escaped (< > & and a leading format
    marker's bracket), then GIFT's special characters and newlines escaped."""
    text = html.escape(text, quote=False)
    text = MARKER.sub(lambda m: m.group(0).replace("[", "&#91;", 1), text)
    return _escape_gift(text)


def _escape_gift(text: str) -> str:
    text = text.replace("\\", "\\\\")
    for char in "~=#{}:":
        text = text.replace(char, "\\" + char)
    return text.replace("\r", "").replace("\n", "\\n")  # as Moodle writes them


def _option(mark: str, weight: str | None, text: str) -> str:
    """One answer line; a text that itself starts like a weight (%50%…) gets an explicit one."""
    if weight is None and WEIGHT.match(text):
        weight = "100" if mark == "=" else "0"
    return f"\t{mark}{f'%{weight}%' if weight is not None else ''}{_escape(text)}"


def write(categories: list[dict], questions: list[dict]) -> bytes:
    out, current = [], None
    for n, q in enumerate(questions, start=1):
        if q["category"] != current:
            current = q["category"]
            out.append(f"$CATEGORY: {_escape_gift(current).replace('/', '//')}\n")
        out.append(f"// 出处：{_escape_gift(q['source'])}")
        out.append(f"// 难度：{q.get('difficulty', 1)}")
        general = f"####{_escape(q['explanation'])}" if q.get("explanation") else ""
        head = f"::Q{n}::{_escape(q['stem'])}"
        if q["type"] == "true_false":
            out.append(f"{head}{{{'TRUE' if q['answer'] == ['T'] else 'FALSE'}{general}}}\n")
            continue
        lines = [head + "{"]
        if q["type"] == "single":
            lines += [_option("=" if o["key"] in q["answer"] else "~", None, o["text"]) for o in q["options"]]
        else:
            share = f"{100 / len(q['answer']):.5f}".rstrip("0").rstrip(".")
            lines += [_option("~", share if o["key"] in q["answer"] else "-100", o["text"]) for o in q["options"]]
        if general:
            lines.append(f"\t{general}")
        lines.append("}\n")
        out.append("\n".join(lines))
    return "\n".join(out).encode("utf-8")
