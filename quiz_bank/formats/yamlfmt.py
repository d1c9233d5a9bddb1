"""YAML: the format of the shipped bank (quiz_bank/data/, one file a law), made for
reviewing in a diff. A `category` block, then `questions` with options as a mapping.
A bank of several laws is one file of several such YAML documents, one a law, each
starting with `---`. `exam_only: true` (仅用于考试) in the category block or on a
question; written only when true, so a bank without exam-only questions reads as before.
Questions are numbered in order through the file."""
import yaml

from quiz_bank.formats import Parsed, Problem, ReadResult

SHAPE = "YAML 题库的每一部分须有 category 和 questions 两项。"


def read(content: bytes) -> ReadResult:
    try:
        documents = list(yaml.safe_load_all(content.decode("utf-8-sig")))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        line = getattr(getattr(exc, "problem_mark", None), "line", 0) + 1
        return ReadResult(problems=[Problem(line, "不是有效的 YAML 文件。", whole_file=True)])
    result = ReadResult()
    if not documents:
        result.problems.append(Problem(1, SHAPE, whole_file=True))
    index = 0  # questions are numbered through the file, as JSON's are
    for doc in documents:
        if not isinstance(doc, dict) or not isinstance(doc.get("category"), dict) or not isinstance(doc.get("questions"), list):
            result.problems.append(Problem(1, SHAPE, whole_file=True))
            continue
        category = doc["category"]
        result.categories.append(category)
        for item in doc["questions"]:
            index += 1
            options = item.get("options") if isinstance(item, dict) else None
            if not isinstance(item, dict) or not isinstance(options or {}, dict):
                result.problems.append(Problem(index, f"第 {index} 道题须写成“键: 值”的形式，选项写成“A: …”。"))
                continue
            data = {**{k: v for k, v in item.items() if k != "options"},
                    "options": [{"key": str(k), "text": str(v)} for k, v in (options or {}).items()]}
            result.questions.append(Parsed(index, category.get("name", ""), data))
    return result


def _document(category: dict, questions: list[dict]) -> dict:
    items = []
    for q in questions:
        item = {"type": q["type"], "stem": q["stem"]}
        if q["type"] != "true_false":
            item["options"] = {o["key"]: o["text"] for o in q["options"]}
        item.update(answer=q["answer"], explanation=q.get("explanation", ""), source=q["source"], difficulty=q.get("difficulty", 1))
        if q.get("exam_only"):
            item["exam_only"] = True
        items.append(item)
    return {"category": {k: v for k, v in category.items() if k != "exam_only" or v}, "questions": items}


def write(categories: list[dict], questions: list[dict]) -> bytes:
    """One document a law, in the order the questions come; a single law is written as the
    shipped files are (no `---`)."""
    by_law: dict[str, list[dict]] = {}
    for q in questions:
        by_law.setdefault(q["category"], []).append(q)
    known = {c["name"]: c for c in categories}
    docs = [_document(known.get(name, {"name": name}), qs) for name, qs in by_law.items()] or [_document({"name": ""}, [])]
    return yaml.safe_dump_all(docs, allow_unicode=True, sort_keys=False, explicit_start=len(docs) > 1).encode("utf-8")
