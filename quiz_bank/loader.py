"""Load the shipped question bank (quiz_bank/data/*.yaml, one file a law).

It goes through the importer like any other file, so loading twice adds nothing."""
from pathlib import Path

from quiz_bank.importer import apply_import, plan_import

DATA_DIR = Path(__file__).parent / "data"


def bank_files(directory: Path = DATA_DIR) -> list[Path]:
    return sorted(directory.glob("*.yaml"))


def load_bank(directory: Path = DATA_DIR) -> dict[str, int]:
    added = {}
    for path in bank_files(directory):
        plan = plan_import(path.name, path.read_bytes())
        name = plan.new_categories[0]["name"] if plan.new_categories else path.stem
        added[name] = apply_import(plan)
    return added
