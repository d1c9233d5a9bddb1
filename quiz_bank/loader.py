"""Load the shipped question bank (quiz_bank/data/*.yaml) into the database.

Loading is idempotent: a question whose content is already in the bank is skipped."""
from pathlib import Path

import yaml
from sqlalchemy import select

from core.extensions import db
from quiz_bank.models import Category, Question
from quiz_bank.questions import create_question, fingerprint, normalise

DATA_DIR = Path(__file__).parent / "data"


def read_bank_file(path: Path) -> tuple[dict, list[dict]]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc["category"], doc["questions"]


def load_file(path: Path) -> tuple[Category, int]:
    meta, items = read_bank_file(path)
    category = db.session.scalar(select(Category).where(Category.slug == meta["slug"]))
    if category is None:
        category = Category(name=meta["name"], slug=meta["slug"], description=meta.get("description", ""), sort_order=meta.get("sort_order", 0))
        db.session.add(category)
        db.session.flush()
    known = set(db.session.scalars(select(Question.fingerprint).where(Question.category_id == category.id)))
    added = 0
    for item in items:
        data = {**item, "category_id": category.id,
                "options": [{"key": k, "text": str(v)} for k, v in (item.get("options") or {}).items()]}
        clean = normalise(data)
        if fingerprint(category.id, clean["type"], clean["stem"], clean["options"], clean["answer"]) in known:
            continue
        create_question(clean)
        added += 1
    return category, added


def load_bank(directory: Path = DATA_DIR) -> dict[str, int]:
    added = {}
    for path in sorted(directory.glob("*.yaml")):
        category, n = load_file(path)
        added[category.name] = n
    db.session.commit()
    return added
