"""Reading a law's official text (as downloaded from 国家法律法规数据库 flk.npc.gov.cn,
.docx or .txt) and splitting it into 编/分编/章/节/条.

The body starts at 第一条 with the headings right above it (第一编, 第一章 ...); what
comes before (the title, the history line, a 目录 listing the same headings) is read
for the title and the version date only."""
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date

from core.domain_errors import Invalid
from quiz_bank.formats import MAX_UNZIPPED_BYTES, unzips_too_large
from statutes.numerals import NUMERAL_CHARS, cn_to_int, int_to_cn

N = f"[{NUMERAL_CHARS}]+"
SPACE = "[ \t\u3000]"
# Levels: 编 0, 分编 1, 章 2, 节 3; a bare 附则 (民法典's last part) is at the 编 level.
LEVELS = {"编": 0, "分编": 1, "章": 2, "节": 3}
LEVEL_NAMES = ("编", "分编", "章", "节")
# The name follows a space in the official texts; one typed without stays a heading if
# it is short and unpunctuated, as a paragraph never is (第二章规定的……。).
HEADING_RE = re.compile(rf"^第({N})(分编|编|章|节){SPACE}*(\S.{{0,40}})$")
PARAGRAPH_END = tuple("。；，：、！？")
APPENDIX_RE = re.compile(rf"^附{SPACE}*则$")
ARTICLE_RE = re.compile(rf"^第({N})条(?:之({N}))?(?:{SPACE}+(.*))?$")
DATE_RE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
ENCODINGS = ("utf-8-sig", "gb18030")  # utf-8-sig reads plain UTF-8 too


@dataclass
class SplitArticle:
    number: int
    sub: int
    part: str = ""
    subpart: str = ""
    chapter: str = ""
    section: str = ""
    paragraphs: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"第{int_to_cn(self.number)}条" + (f"之{int_to_cn(self.sub)}" if self.sub else "")

    @property
    def text(self) -> str:
        return "\n".join(self.paragraphs)


@dataclass
class SplitText:
    title: str
    version_date: date | None
    headings: list[tuple[int, str]]  # (level, heading) in the order of the body
    articles: list[SplitArticle]

    @property
    def short_name(self) -> str:
        return self.title.removeprefix("中华人民共和国")


def read_lines(filename: str, data: bytes) -> list[str]:
    """The text's lines (a Word file's paragraphs), stripped."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "docx":
        from docx import Document  # heavy, only for Word files

        if unzips_too_large(data):  # the question import's guard against zip bombs
            raise Invalid(f"文件解压后超过 {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB，无法读取。", code="too_large")
        try:
            paragraphs = [p.text for p in Document(io.BytesIO(data)).paragraphs]
        except (zipfile.BadZipFile, KeyError, ValueError) as exc:
            raise Invalid("无法读取这个 Word 文件，请确认是 .docx 格式（旧的 .doc 请先另存为 .docx）。", code="unreadable") from exc
        return [line.strip() for p in paragraphs for line in p.splitlines()]
    if ext == "txt":
        for encoding in ENCODINGS:
            try:
                return [line.strip() for line in data.decode(encoding).splitlines()]
            except UnicodeDecodeError:
                continue
        raise Invalid("无法识别文本文件的编码，请另存为 UTF-8 或 GB18030 后再上传。", code="unreadable")
    raise Invalid("只支持 Word（.docx）和文本（.txt）格式的法律文本。", code="unsupported_format")


def _squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _heading(line: str) -> tuple[int, int | None, str] | None:
    """(level, ordinal or None for 附则, heading as stored: 第一章 总则)."""
    if APPENDIX_RE.match(line):
        return 0, None, "附则"
    match = HEADING_RE.match(line)
    if match is None or line.endswith(PARAGRAPH_END):
        return None
    try:
        ordinal = cn_to_int(match.group(1))
    except ValueError:
        return None
    return LEVELS[match.group(2)], ordinal, f"第{match.group(1)}{match.group(2)} {_squeeze(match.group(3))}"


def _article_start(line: str) -> tuple[int, int, str] | None:
    match = ARTICLE_RE.match(line)
    if match is None:
        return None
    try:
        number = cn_to_int(match.group(1))
        sub = cn_to_int(match.group(2)) if match.group(2) else 0
    except ValueError:
        return None
    return number, sub, (match.group(3) or "").strip()


def _body_start(lines: list[str]) -> int | None:
    """Index of the body's first line: 第一条, and the headings of the first 编/章/节
    right above it (each of a higher level than the one below, numbered 一). A 目录
    above lists the same headings, and ends with a later one or 附则, so stops the walk."""
    first = next((i for i, line in enumerate(lines) if (a := _article_start(line)) and a[:2] == (1, 0)), None)
    if first is None:
        return None
    start, below = first, len(LEVELS)
    for i in range(first - 1, -1, -1):
        if not lines[i]:
            continue
        heading = _heading(lines[i])
        if heading is None or heading[0] >= below or heading[1] != 1:
            break
        start, below = i, heading[0]
    return start


def _version_date(preamble: list[str]) -> date | None:
    """The latest date in the parenthesised history line(s) under the title:
    （1989年12月26日……通过　2014年4月24日……修订）."""
    block, inside = [], False
    for line in preamble:
        if line.startswith(("（", "(")):
            inside = True
        if inside:
            block.append(line)
            if line.endswith(("）", ")")):
                break
    dates = []
    for year, month, day in DATE_RE.findall("".join(block)):
        try:
            dates.append(date(int(year), int(month), int(day)))
        except ValueError:
            continue
    return max(dates, default=None)


def split(lines: list[str]) -> SplitText:
    """The title, version date, headings and articles of a law's text. Raises Invalid when
    no article is found."""
    title = next((_squeeze(line) for line in lines if line), "")
    start = _body_start(lines)
    if start is None:
        raise Invalid("没有在文件中找到法律条文（应从“第一条”开始），请确认上传的是法律的正式文本。", code="no_articles")
    headings: list[tuple[int, str]] = []
    current = ["", "", "", ""]
    articles: list[SplitArticle] = []
    for line in lines[start:]:
        if not line:
            continue
        found = _article_start(line)
        if found is not None:
            number, sub, rest = found
            last = (articles[-1].number, articles[-1].sub) if articles else (0, 0)
            # Only the next article starts one: "第三条规定的……" opening a paragraph is text.
            if (sub == 0 and number == last[0] + 1) or (articles and number == last[0] and sub == last[1] + 1):
                articles.append(SplitArticle(number, sub, *current, paragraphs=[rest] if rest else []))
                continue
        heading = _heading(line)
        if heading is not None:
            level, _, text = heading
            current[level] = text
            current[level + 1:] = [""] * (len(current) - level - 1)
            headings.append((level, text))
            continue
        if articles:
            articles[-1].paragraphs.append(line)
    return SplitText(title=title, version_date=_version_date(lines[1:start]), headings=headings, articles=articles)


def read(filename: str, data: bytes) -> SplitText:
    return split(read_lines(filename, data))
