"""YAML: the format of the shipped bank (quiz_bank/data/, one file a law), made for
reviewing in a diff. A `category` block, then `questions` with options as a mapping.
`exam_only: true` (仅用于考试) in the category block or on a question; written only when
true, so a bank without exam-only questions reads as before."""
import yaml

from quiz_bank.formats import Parsed, Problem, ReadResult


def read(content: bytes) -> ReadResult:
    try:
        doc = yaml.safe_load(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 1
        return ReadResult(problems=[Problem(line, "不是有效的 YAML 文件。")])
    if not isinstance(doc, dict) or not isinstance(doc.get("category"), dict) or not isinstance(doc.get("questions"), list):
        return ReadResult(problems=[Problem(1, "YAML 题库须有 category 和 questions 两部分。")])
    category = doc["category"]
    result = ReadResult(categories=[category])
    for index, item in enumerate(doc["questions"], start=1):
        options = item.get("options") or {}
        data = {**{k: v for k, v in item.items() if k != "options"},
                "options": [{"key": str(k), "text": str(v)} for k, v in options.items()]}
        result.questions.append(Parsed(index, category.get("name", ""), data))
    return result


def write(categories: list[dict], questions: list[dict]) -> bytes:
    if len({q["category"] for q in questions}) > 1:
        raise ValueError("a YAML bank file holds one category")
    items = []
    for q in questions:
        item = {"type": q["type"], "stem": q["stem"]}
        if q["type"] != "true_false":
            item["options"] = {o["key"]: o["text"] for o in q["options"]}
        item.update(answer=q["answer"], explanation=q.get("explanation", ""), source=q["source"], difficulty=q.get("difficulty", 1))
        if q.get("exam_only"):
            item["exam_only"] = True
        items.append(item)
    name = questions[0]["category"] if questions else ""
    category = next((c for c in categories if c["name"] == name), {"name": name})
    category = {k: v for k, v in category.items() if k != "exam_only" or v}
    return yaml.safe_dump({"category": category, "questions": items}, allow_unicode=True, sort_keys=False).encode("utf-8")
