"""JSON: the full model, lossless (categories with their details; questions with status;
both with exam_only, 仅用于考试, which an older file without it reads as false)."""
import json

from quiz_bank.formats import Parsed, Problem, ReadResult

FORMAT = "pufa-questions"
FIELDS = ("type", "stem", "options", "answer", "explanation", "source", "difficulty", "status", "exam_only")


def read(content: bytes) -> ReadResult:
    try:
        doc = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        return ReadResult(problems=[Problem(getattr(exc, "lineno", 1), "不是有效的 JSON 文件。", whole_file=True)])
    if not isinstance(doc, dict) or doc.get("format") != FORMAT or not isinstance(doc.get("questions"), list):
        return ReadResult(problems=[Problem(1, f"不是本系统导出的题库 JSON（缺少 \"format\": \"{FORMAT}\" 或 questions）。", whole_file=True)])
    result = ReadResult(categories=[c for c in doc.get("categories", []) if isinstance(c, dict)])
    for index, item in enumerate(doc["questions"], start=1):
        if not isinstance(item, dict):
            result.problems.append(Problem(index, f"第 {index} 道题不是对象。"))
            continue
        data = {f: item.get(f) for f in FIELDS if f in item}
        result.questions.append(Parsed(index, str(item.get("category", "")), data))
    return result


def write(categories: list[dict], questions: list[dict]) -> bytes:
    doc = {"format": FORMAT, "version": 1, "categories": categories,
           "questions": [{"category": q["category"], **{f: q[f] for f in FIELDS if f in q}} for q in questions]}
    return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
