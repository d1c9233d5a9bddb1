from statutes import library
from tests.statutes.texts import AMENDED, LAW


def import_law(text: str = LAW, filename: str = "乡村示范法.txt", **kw):
    """Import a text as the panel's confirm does (in the test's transaction); returns
    (version, how many questions went to 待复核)."""
    return library.apply_import(library.plan_import(filename, text.encode(), **kw), None)


def import_amended():
    return import_law(AMENDED, "乡村示范法（2025年修正）.txt")
