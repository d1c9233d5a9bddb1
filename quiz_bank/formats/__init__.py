"""Question-bank file formats. Each reader turns a file into parsed questions plus
the problems it found, each with its row or line number and a Chinese message;
each writer writes the bank back out. The format comes from the file's extension."""
import os
from dataclasses import dataclass, field


@dataclass
class Parsed:
    """One question as read from a file, before it is checked against the bank's rules."""

    line: int
    category: str
    # type, stem, options [{key, text}], answer [keys], explanation, source, difficulty, status,
    # exam_only (仅用于考试; GIFT and Aiken have no place for it: not exam-only)
    data: dict


@dataclass
class Problem:
    line: int
    message: str
    # About the file as a whole (encoding, no header row, not this format), not one question:
    # counted apart from the questions.
    whole_file: bool = False
    unit: str = "行"  # what `line` counts: 行, or 段 (a Word document's paragraphs)

    def __str__(self) -> str:
        return f"第 {self.line} {self.unit}：{self.message}"


@dataclass
class ReadResult:
    questions: list[Parsed] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    categories: list[dict] = field(default_factory=list)  # full category records (JSON, YAML), exam_only included
    unit: str = "行"  # what the questions' line numbers count (段 in a Word document)
    notes: list[str] = field(default_factory=list)  # how the file was read, e.g. the sheet and header row used


class UnsupportedFormat(ValueError):
    pass


def blank_line_blocks(text: str):
    """Yield each blank-line separated block of `text` as its (line number, line) pairs,
    the lines as written (GIFT and Aiken are both written in such blocks)."""
    block = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            block.append((number, line))
        elif block:
            yield block
            block = []
    if block:
        yield block


# An upload is at most 12 MB, but a zip (.xlsx, .docx) of it can unpack to gigabytes,
# all parsed in memory: such a file is refused before it is opened.
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024


def unzips_too_large(content: bytes) -> bool:
    """Whether a zip-based file declares more than MAX_UNZIPPED_BYTES inside. The declared
    sizes bind: zipfile stops at a member's declared size and fails on a mismatch."""
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as z:
            return sum(info.file_size for info in z.infolist()) > MAX_UNZIPPED_BYTES
    except (zipfile.BadZipFile, ValueError, OSError):
        return False  # not a zip: the reader says it cannot read it


def too_large_problem() -> Problem:
    return Problem(1, f"文件解压后超过 {MAX_UNZIPPED_BYTES // (1024 * 1024)} MB，无法读取；请拆成几个文件分别导入。", whole_file=True)


# .txt is GIFT or Aiken, told apart by its content (Moodle names its GIFT exports .txt).
EXTENSIONS = {".xlsx": "xlsx", ".csv": "csv", ".gift": "gift", ".txt": "txt", ".docx": "docx", ".json": "json",
              ".yaml": "yaml", ".yml": "yaml"}


def format_for(filename: str) -> str:
    ext = os.path.splitext(filename.lower())[1]
    if ext not in EXTENSIONS:
        raise UnsupportedFormat(f"不支持的文件类型 {ext or '（无扩展名）'}，请使用 .xlsx、.csv、.docx（Word）、.gift、"
                                f".txt（GIFT 或 Aiken）、.json 或 .yaml。")
    return EXTENSIONS[ext]


def format_of(filename: str, content: bytes) -> str:
    """The format a file is in: by its extension, and for .txt by what it holds."""
    from quiz_bank.formats import gift

    fmt = format_for(filename)
    if fmt == "txt":
        return "gift" if gift.looks_like_gift(content) else "aiken"
    return fmt


def read(filename: str, content: bytes, default_category: str | None = None) -> ReadResult:
    from quiz_bank.formats import aiken, gift, jsonfmt, tabular, yamlfmt

    fmt = format_of(filename, content)
    if fmt == "yaml":
        return yamlfmt.read(content)
    if fmt == "xlsx":
        return tabular.read_xlsx(content)
    if fmt == "csv":
        return tabular.read_csv(content)
    if fmt == "docx":
        from quiz_bank.formats import wordfmt

        return wordfmt.read(content, default_category)
    if fmt == "gift":
        return gift.read(content, default_category)
    if fmt == "aiken":
        return aiken.read(content, default_category)
    return jsonfmt.read(content)


def write(filename: str, categories: list[dict], questions: list[dict]) -> bytes:
    """questions: dicts with category (name) and the question's fields. A .txt is written as Aiken."""
    from quiz_bank.formats import aiken, gift, jsonfmt, tabular, yamlfmt

    fmt = format_for(filename)
    writer = {"xlsx": tabular.write_xlsx, "csv": tabular.write_csv, "gift": gift.write, "txt": aiken.write,
              "json": jsonfmt.write, "yaml": yamlfmt.write}.get(fmt)
    if writer is None:
        raise UnsupportedFormat(f"不能导出为 {os.path.splitext(filename)[1]} 文件。")
    return writer(categories, questions)
