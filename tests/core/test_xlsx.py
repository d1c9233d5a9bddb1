"""The one guard against formula injection: neutralise on the way out, restore on the way in."""
import csv
import io
from datetime import date, datetime

from openpyxl import Workbook, load_workbook

from core import xlsx

TRICKY = [
    "=1+1", '=HYPERLINK("http://evil.invalid","x")', "+86 138", "-5", "-", "@someone", "\tindented",
    "\r\nsplit", "'", "''", "'=1+1", "'-5", "'plain", "''=x", "=", "", "plain", "中文=1", " =leading space",
    "a\tb", "1-2", "'中文",
]


def test_neutralise_then_restore_is_the_identity_and_nothing_dangerous_is_left():
    for value in TRICKY:
        safe = xlsx.neutralise(value)
        assert xlsx.restore(safe) == value
        assert not safe.startswith(xlsx.FORMULA_STARTS), value
        if value.startswith((*xlsx.FORMULA_STARTS, "'")):
            assert safe == "'" + value
        else:
            assert safe == value


def test_restore_leaves_a_quote_that_neutralise_would_not_have_added():
    # Someone's own text starting with "'" followed by a plain character is not ours to strip.
    for value in ("'plain", "'中文", "'", "'1"):
        assert xlsx.restore(value) == value
    assert xlsx.restore("''x") == "'x" and xlsx.restore("'=x") == "=x"


def test_numbers_dates_and_none_pass_untouched():
    for value in (-5, 0, 3.5, -0.5, None, True, date(2026, 12, 4), datetime(2026, 12, 4, 9, 30)):
        assert xlsx.neutralise(value) is value and xlsx.restore(value) is value


def test_every_str_cell_of_every_sheet_is_saved_as_plain_text():
    book = Workbook()
    first = xlsx.sheet(book, "一", ["名字", "数"], [10, 10], first=True)
    first.append(["=SUM(A1:A9)", -5])
    first.append(["@cmd", "ok"])
    second = xlsx.sheet(book, "二", ["名字"], [10])
    second.append(['=HYPERLINK("http://evil.invalid","x")'])
    second["C5"] = "+1"
    assert first["A2"].data_type == "f"  # what openpyxl would have written as a live formula
    loaded = load_workbook(io.BytesIO(xlsx.to_bytes(book)))
    one, two = loaded["一"], loaded["二"]
    assert [(c.value, c.data_type) for c in one[2]] == [("'=SUM(A1:A9)", "s"), (-5, "n")]
    assert one["A3"].value == "'@cmd" and one["B3"].value == "ok"
    assert (two["A2"].value, two["A2"].data_type) == ("'=HYPERLINK(\"http://evil.invalid\",\"x\")", "s")
    assert two["C5"].value == "'+1"
    assert not any(c.data_type == "f" for ws in loaded.worksheets for row in ws.iter_rows() for c in row)


def test_csv_writer_neutralises_every_field():
    out = io.StringIO()
    writer = xlsx.csv_writer(out)
    writer.writerow(["=1+1", -5, "-5", "@x", "'=y", "ok"])
    writer.writerows([["+1"], ["\tx"]])
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert rows == [["'=1+1", "-5", "'-5", "'@x", "''=y", "ok"], ["'+1"], ["'\tx"]]
    assert [[xlsx.restore(v) for v in row] for row in rows][0][2:5] == ["-5", "@x", "'=y"]
