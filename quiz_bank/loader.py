"""Load the shipped question bank (quiz_bank/data/*.yaml, one file a law).

It goes through the importer like any other file, so loading twice adds nothing. Every
shipped question cites its article: one that would await review stops the load."""
from pathlib import Path

from quiz_bank.importer import apply_import, plan_import
from quiz_bank.questions import QuestionInvalid

DATA_DIR = Path(__file__).parent / "data"


def bank_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def load_bank(directory: Path = DATA_DIR) -> dict[str, int]:
    added = {}
    for path in bank_files(directory):
        plan = plan_import(path.name, path.read_bytes())
        if plan.pending:
            raise QuestionInvalid([f"{path.name}：{plan.pending} 道题的出处不全，题库文件须每题注明出处。"])
        name = plan.new_categories[0]["name"] if plan.new_categories else path.stem
        added[name] = apply_import(plan)
    return added
