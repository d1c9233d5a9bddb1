"""Word (.docx) question banks laid out as Chinese exam banks are:

    一、单选题（每题 1 分）                 section heading: its type for the questions under it
    1. 民法典规定的成年年龄是？             question: 1. / 1、 / 1． / （1）
    A. 十六周岁   B. 十八周岁              options A. / A、 / A． on their own lines or several on one
    答案：B                                answer (or an answer key at the end, see below)
    解析：……      出处：《民法典》第十七条    also 【解析】, 【出处】, 依据：, 难度：2

Answers may instead come from a key at the end: lines such as `1-5 ABCDA`, `1.A 2.B 3.√`
(after a heading 参考答案 or not) or a table (题号 row over 答案 row, or 题号 | 答案 columns).
When numbering restarts in each section, the key's n-th "1" answers the n-th question 1.
判断题 answers: 正确/错误/对/错/√/×, or the letter of an 正确/错误 option. Without a section
heading the type follows the question: no options (or 正确/错误 ones) is 判断, several
answers 多选, else 单选. Sections of other types (填空题, 简答题…) are reported, not read.

Numbers and letters typed, or drawn by Word's own list numbering (编号), are read alike.

Category: the one given (the command's --category or the file's name); a line `分类：民法典`
gives the category of the questions after it. Problems name the paragraph (第 N 段: every
paragraph of the body counted from 1, empty ones included, tables not) and the question's
number as printed; the paragraph is also the `line` of each question read."""
import io
import re
import unicodedata
from dataclasses import dataclass, field

from quiz_bank.formats import Parsed, Problem, ReadResult, too_large_problem, unzips_too_large
from quiz_bank.formats.tabular import answer_text

CN_NUMBER = "[一二三四五六七八九十]+"
HEADING = re.compile(rf"^(?:{CN_NUMBER}\s*[、.．]\s*|第{CN_NUMBER}部分\s*)(?P<name>[\u4e00-\u9fff]{{1,8}}?题)(?=$|[\s（(:：,，。])(?P<rest>.*)$")
BARE_HEADING = re.compile(r"^(?P<name>单选题|多选题|判断题|单项选择题|多项选择题|不定项选择题|选择题)\s*(?:[（(].*[）)])?\s*[:：]?$")
QUESTION = re.compile(r"^(?:(?P<n>\d+)\s*[.．、]|[（(]\s*(?P<p>\d+)\s*[）)])\s*(?P<stem>.*)$")
OPTION = re.compile(r"^([A-HＡ-Ｈ])\s*[.．、:：)）]\s*")
# Where the next option may start: after spaces or tabs, or right after a Chinese character (A.甲B.乙).
OPTION_SPLIT = re.compile(r"(?:\s+|(?<=[^\sA-Za-z0-9.．]))(?=[B-HＢ-Ｈ]\s*[.．、:：)）])")
ANSWER_WORD = "(?:正确答案|参考答案|标准答案|答案)(?:及解析|与解析)?"
ANSWER = re.compile(rf"^(?:{CN_NUMBER}\s*[、.．]\s*)?(?:[【\[]{ANSWER_WORD}[】\]]\s*[:：]?|{ANSWER_WORD}\s*[:：]|{ANSWER_WORD}\s*$)"
                    r"\s*(?P<rest>.*)$")
FIELD_NAMES = "答案解析|试题解析|解析|出处|法律依据|依据|难度"
EXTRA = re.compile(rf"^(?:[【\[](?P<a>{FIELD_NAMES})[】\]]\s*[:：]?|(?P<b>{FIELD_NAMES})\s*[:：])\s*(?P<value>.*)$")
FIELDS = {"答案解析": "explanation", "试题解析": "explanation", "解析": "explanation", "出处": "source",
          "法律依据": "source", "依据": "source", "难度": "difficulty"}
CATEGORY = re.compile(r"^[【\[]?(?:分类|类别)[】\]]?\s*[:：]\s*(?P<name>.+)$")
# Answer keys, read after NFKC (full-width letters and digits) and 正确/错误 as √/×.
KEY_ANSWER = r"[A-H√×对错TF]+"
KEY_ITEM = re.compile(rf"(\d+)\s*(?:[-~～—–至到]\s*(\d+))?\s*[.、:)）]?\s*({KEY_ANSWER}(?:[\s,，、]+{KEY_ANSWER})*)")
KEY_GAP = re.compile(r"[\s,，、;；]*")
KEY_WORDS = {"正确": "√", "错误": "×", "✓": "√", "✔": "√", "✗": "×", "✘": "×"}
JUDGE_WORDS = {"正确", "错误", "对", "错"}


LOST = object()  # reading past a paragraph that belongs to no question


def _section_type(name: str) -> str:
    """The type of a section heading's questions: single, multiple, true_false, "choice"
    (either, by the answer) or "" for a type the bank does not hold (填空题, 简答题…)."""
    for words, qtype in ((("判断", "是非", "正误"), "true_false"), (("不定项",), "choice"), (("多选", "多项"), "multiple"),
                         (("单选", "单项"), "single"), (("选择",), "choice")):
        if any(w in name for w in words):
            return qtype
    return ""


@dataclass
class _Question:
    para: int
    number: int
    section: str  # the heading's name, for messages
    qtype: str | None  # from the heading; None without one
    category: str
    stem: list[str]
    options: list[dict] = field(default_factory=list)
    answer: str | None = None
    extra: dict = field(default_factory=dict)
    last: str = "stem"  # what a continuation paragraph belongs to

    @property
    def label(self) -> str:
        return f"{self.section}第 {self.number} 题" if self.section else f"第 {self.number} 题"


@dataclass
class _KeyEntry:
    para: int
    number: int
    answer: str
    extra: dict = field(default_factory=dict)


def _key_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).upper()
    for word, mark in KEY_WORDS.items():
        text = text.replace(word, mark)
    return text


def _key_entries(text: str, para: int) -> tuple[list[_KeyEntry], str] | None:
    """The answers a key line holds and what follows them (解析：…); None if it is no key line."""
    written, text, pos, entries = text, _key_text(text), 0, []
    while True:
        pos = KEY_GAP.match(text, pos).end()
        item = KEY_ITEM.match(text, pos)
        if not item:
            break
        first, last, answers = int(item.group(1)), int(item.group(2) or item.group(1)), item.group(3)
        groups = re.split(r"[\s,，、]+", answers)
        count = last - first + 1
        if last < first:
            return None
        if count == 1:
            groups = ["".join(groups)]
        elif len(groups) == 1 and len(answers) == count:
            groups = list(answers)
        elif len(groups) != count:
            return None
        entries += [_KeyEntry(para, n, a) for n, a in zip(range(first, last + 1), groups)]
        pos = item.end()
    if not entries:
        return None
    if not text[pos:].strip():
        return entries, ""
    # What follows is kept as written (the key was read from an upper-cased, normalised copy).
    field = re.search(rf"[【\[]?(?:{FIELD_NAMES})", written)
    rest = written[field.start():].strip() if field else ""
    return (entries, rest) if EXTRA.match(rest) else None


def _table_entries(table, para: int) -> list[_KeyEntry]:
    """An answer-key table: a row of question numbers over a row of answers, or number and
    answer side by side in each row. A table with neither (a score table) gives nothing."""
    grid = [[cell.text.strip() for cell in row.cells] for row in table.rows]
    is_answer = lambda c: re.fullmatch(KEY_ANSWER, re.sub(r"[\s,、;]", "", _key_text(c))) is not None  # noqa: E731
    entries, r = [], 0
    while r < len(grid):
        row = grid[r]
        numbers = [i for i, c in enumerate(row) if c.isdigit()]
        if numbers and not any(is_answer(c) for c in row) and r + 1 < len(grid):
            below = grid[r + 1]
            entries += [_KeyEntry(para, int(row[i]), below[i]) for i in numbers if i < len(below) and is_answer(below[i])]
            r += 2
            continue
        entries += [_KeyEntry(para, int(c), row[i + 1]) for i, c in enumerate(row[:-1]) if c.isdigit() and is_answer(row[i + 1])]
        r += 1
    return entries


class _Reader:
    def __init__(self, default_category: str | None):
        self.result = ReadResult(unit="段")
        self.category = default_category or ""
        self.section, self.qtype = "", None
        self.questions: list[_Question] = []
        self.keys: list[_KeyEntry] = []
        self.last = None  # the question or key entry a 解析/出处 line belongs to

    def problem(self, para: int, message: str) -> None:
        self.result.problems.append(Problem(para, message, unit="段"))

    def stray(self, para: int, text: str) -> None:
        """A paragraph that belongs to no question: reported once, with what follows it
        up to the next question (the options of a question missing its number, say)."""
        if self.last is not LOST:
            self.problem(para, f"无法识别这一段“{text[:20]}”：题目应以题号开头（如“1.”），后面是“A.”开头的选项和"
                               "“答案：”“解析：”“出处：”行。")
            self.last = LOST

    def line(self, para: int, text: str) -> None:
        current = self.last if isinstance(self.last, _Question) else None
        heading = HEADING.match(text) or BARE_HEADING.match(text)
        if heading:
            self.section, self.qtype, self.last = heading.group("name"), _section_type(heading.group("name")), None
            # A key may list a section's answers on its heading's line: 二、多选题 1.AB 2.ACD
            rest = re.sub(r"^\s*(?:[（(][^）)]*[）)])?\s*[:：]?\s*", "", heading.groupdict().get("rest") or "")
            keyed = _key_entries(rest, para) if rest[:1].isdigit() else None
            if keyed:
                self.key(*keyed)
            return
        category = CATEGORY.match(text)
        if category:
            self.category, self.last = category.group("name").strip(), None
            return
        extra = EXTRA.match(text)
        if extra:
            if self.last is None or self.last is LOST:
                self.stray(para, text)
                return
            name = FIELDS[extra.group("a") or extra.group("b")]
            self.last.extra[name] = extra.group("value").strip()
            if current is not None:
                current.last = name
            return
        answer = ANSWER.match(text)
        if answer:
            rest = answer.group("rest").strip()
            keyed = _key_entries(rest, para) if rest[:1].isdigit() else None
            if keyed:
                self.key(*keyed)
            elif not rest:
                self.last = None  # 参考答案: the heading of a key
            elif current is not None:
                current.answer, current.last = rest, "answer"
            else:
                self.stray(para, text)
            return
        keyed = _key_entries(text, para) if text[:1].isdigit() else None
        if keyed:
            self.key(*keyed)
            return
        question = QUESTION.match(text)
        if question:
            number = int(question.group("n") or question.group("p"))
            self.last = _Question(para, number, self.section, self.qtype, self.category, [question.group("stem").strip()])
            self.questions.append(self.last)
        elif current is not None and OPTION.match(text) and current.answer is None:
            self.options(current, text)
        elif current is not None and current.last == "stem" and not current.options:
            current.stem.append(text)
        elif current is not None and current.last == "explanation":
            current.extra["explanation"] += "\n" + text
        elif current is not None or OPTION.match(text):
            self.stray(para, text)
        # Else the document's title, a section's notes, a closing remark: not questions.

    def options(self, question: _Question, text: str) -> None:
        for i, part in enumerate(OPTION_SPLIT.split(text)):
            found = OPTION.match(part)
            key = unicodedata.normalize("NFKC", found.group(1))
            expected = "ABCDEFGH"[len(question.options)] if len(question.options) < 8 else None
            if i and key != expected:
                # "B." inside an option's text, not the next option.
                question.options[-1]["text"] += " " + part
                continue
            question.options.append({"key": key, "text": part[found.end():].strip()})
        question.last = "options"

    def key(self, entries: list[_KeyEntry], rest: str) -> None:
        self.keys += entries
        self.last = entries[-1]
        if rest:
            extra = EXTRA.match(rest)
            entries[-1].extra[FIELDS[extra.group("a") or extra.group("b")]] = extra.group("value").strip()

    def finish(self) -> ReadResult:
        keyed = self._match_keys()
        for q in self.questions:
            self._question(q, keyed.get(id(q)))
        self.result.problems.sort(key=lambda p: p.line)
        if not self.result.questions and not self.result.problems:
            self.result.problems.append(Problem(1, "没有找到题目：题目应以题号开头（如“1.”“1、”“（1）”），选项以“A.”开头，"
                                                   "并有“答案：”行或文末的答案表。", whole_file=True))
        return self.result

    def _match_keys(self) -> dict[int, _KeyEntry]:
        """Key entries by the question they answer: the n-th entry for a number is the
        answer to the n-th question of that number."""
        by_number: dict[int, list[_Question]] = {}
        for q in self.questions:
            by_number.setdefault(q.number, []).append(q)
        seen: dict[int, int] = {}
        keyed = {}
        for entry in self.keys:
            index = seen.get(entry.number, 0)
            seen[entry.number] = index + 1
            candidates = by_number.get(entry.number, [])
            if index < len(candidates):
                keyed[id(candidates[index])] = entry
            else:
                self.problem(entry.para, f"答案表中第 {entry.number} 题的答案“{entry.answer}”没有对应的题目。")
        return keyed

    def _question(self, q: _Question, entry: _KeyEntry | None) -> None:
        if q.qtype == "":
            self.problem(q.para, f"不支持的题型“{q.section}”（{q.label}），只能导入单选、多选和判断题。")
            return
        written = q.answer if q.answer is not None else entry.answer if entry is not None else None
        if written is None:
            self.problem(q.para, f"{q.label}没有答案：请在题后加“答案：”行，或在文末加答案表。")
            return
        qtype = q.qtype if q.qtype != "choice" else None
        if qtype is None and (not q.options or (len(q.options) == 2 and {o["text"] for o in q.options} <= JUDGE_WORDS)):
            qtype = "true_false"
        if qtype is None:
            qtype = "multiple" if len(answer_text(written, "multiple", q.options)) > 1 else "single"
        answer = answer_text(written, qtype, q.options)
        extra = {**entry.extra, **q.extra} if entry is not None else q.extra
        if entry is not None and answer != answer_text(entry.answer, qtype, q.options):
            self.problem(q.para, f"{q.label}的答案“{written}”与答案表（第 {entry.para} 段）的“{entry.answer}”不一致。")
            return
        difficulty = extra.get("difficulty", "1")
        self.result.questions.append(Parsed(q.para, q.category, {
            "type": qtype, "stem": "\n".join(q.stem).strip(), "options": [] if qtype == "true_false" else q.options,
            "answer": answer, "explanation": extra.get("explanation", ""), "source": extra.get("source", ""),
            "difficulty": int(difficulty) if difficulty.isdigit() else difficulty, "exam_only": False,
        }))


def _chinese(n: int) -> str:
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")


def _counter(fmt: str, n: int) -> str:
    if fmt in ("upperLetter", "lowerLetter"):
        letter = chr(ord("A") + (n - 1) % 26)
        return letter if fmt == "upperLetter" else letter.lower()
    if fmt.startswith(("chinese", "ideograph", "taiwanese", "japanese")) and n < 100:
        return _chinese(n)
    return str(n)


class _Numbering:
    """The numbers Word draws before auto-numbered paragraphs (the 编号 button): they are
    not in the paragraph's text, so a bank numbered that way would lose its question
    numbers and option letters. Counted per list and level, a level restarting the ones
    below it, as Word shows them."""

    def __init__(self, document):
        try:
            self.root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            self.root = None
        self.levels: dict[int, dict[int, tuple[str, str, int]]] = {}
        self.counts: dict[int, dict[int, int]] = {}

    def _levels(self, num_id: int) -> dict[int, tuple[str, str, int]]:
        """{level: (number format, label pattern like "%1.", start)} of a list."""
        from docx.oxml.ns import qn

        def val(element, tag):
            found = element.find(qn(tag)) if element is not None else None
            return found.get(qn("w:val")) if found is not None else None

        if num_id not in self.levels:
            levels = {}
            try:
                num = self.root.num_having_numId(num_id)
            except KeyError:
                num = None
            if num is not None:
                abstract = self.root.find(f'{qn("w:abstractNum")}[@{qn("w:abstractNumId")}="{num.abstractNumId.val}"]')
                for lvl in abstract.iterchildren(qn("w:lvl")) if abstract is not None else []:
                    level = int(lvl.get(qn("w:ilvl")))
                    override = num.find(f'{qn("w:lvlOverride")}[@{qn("w:ilvl")}="{level}"]')
                    start = val(override, "w:startOverride") or val(lvl, "w:start") or 1
                    levels[level] = (val(lvl, "w:numFmt") or "decimal", val(lvl, "w:lvlText") or "", int(start))
            self.levels[num_id] = levels
        return self.levels[num_id]

    def label(self, paragraph) -> str:
        ppr = paragraph._p.pPr
        num_pr = ppr.numPr if ppr is not None else None
        if self.root is None or num_pr is None or num_pr.numId is None:
            return ""
        num_id, level = num_pr.numId.val, num_pr.ilvl.val if num_pr.ilvl is not None else 0
        levels = self._levels(num_id)
        if level not in levels or levels[level][0] in ("bullet", "none"):
            return ""
        counts = self.counts.setdefault(num_id, {})
        counts[level] = counts.get(level, levels[level][2] - 1) + 1
        for deeper in [d for d in counts if d > level]:
            del counts[deeper]

        def number(found):
            at = int(found.group(1)) - 1
            return _counter(levels[at][0], counts.get(at, levels[at][2])) if at in levels else ""

        return re.sub(r"%(\d)", number, levels[level][1])


def read(content: bytes, default_category: str | None = None) -> ReadResult:
    from docx import Document  # heavy: imported where used
    from docx.table import Table

    if unzips_too_large(content):
        return ReadResult(problems=[too_large_problem()])
    try:
        document = Document(io.BytesIO(content))
    except Exception:
        return ReadResult(problems=[Problem(1, "无法读取这个 Word 文件，请确认它是 .docx 格式（.doc 请先在 Word 中另存为 .docx）。",
                                            whole_file=True)])
    reader, numbering, para = _Reader(default_category), _Numbering(document), 0
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            entries = _table_entries(block, para)
            if entries:
                reader.key(entries, "")
            continue
        para += 1
        # Shift+Enter breaks a paragraph into lines: each is read as one.
        for text in (numbering.label(block) + block.text).split("\n"):
            text = text.strip()
            if text:
                reader.line(para, text)
    return reader.finish()
