"""Benchmark: read a 2,000-question Word (.docx) bank.

Builds the file with python-docx in the common layout of Chinese exam banks (sections
一、单选题 / 二、多选题 / 三、判断题, numbered questions, options several to a line or
one a line, 答案/解析/出处 lines), then times `quiz_bank.formats.read` on it and
`quiz_bank.importer.plan_import` in an app context on a fresh SQLite database; each the
median of 3 runs. Usage: .venv/bin/python bench/import_docx.py [N]"""
import io
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

ARTICLES = "一二三四五六七八九"


def make_docx(n: int) -> bytes:
    from docx import Document

    document = Document()
    document.add_paragraph("XX镇普法知识竞赛题库")
    per_section = n // 3
    for s, heading in enumerate(["一、单选题", "二、多选题", "三、判断题"]):
        document.add_paragraph(heading)
        count = per_section if s < 2 else n - 2 * per_section
        for i in range(1, count + 1):
            document.add_paragraph(f"{i}. 基准测试{heading[2:]}第{i}题：依照《民法典》，下列说法哪项正确？")
            if s == 0:
                document.add_paragraph(f"A. 选项甲{i}    B. 选项乙{i}    C. 选项丙{i}    D. 选项丁{i}")
                document.add_paragraph("答案：B")
            elif s == 1:
                for key in "ABCD":
                    document.add_paragraph(f"{key}、多选选项{key}{i}")
                document.add_paragraph("答案：AC")
            else:
                document.add_paragraph("答案：√" if i % 2 else "答案：×")
            document.add_paragraph("解析：基准测试用解析。")
            document.add_paragraph(f"出处：《民法典》第{ARTICLES[i % 9]}条")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def median_of_3(run) -> float:
    times = []
    for _ in range(3):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(n: int) -> None:
    from core import create_app
    from core.extensions import db
    from quiz_bank import formats
    from quiz_bank.importer import plan_import

    data = make_docx(n)
    result = formats.read("题库.docx", data, "民法典")
    assert len(result.questions) == n and not result.problems, result.problems[:3]
    read = median_of_3(lambda: formats.read("题库.docx", data, "民法典"))
    work = tempfile.mkdtemp(prefix="pufa-docx-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{work}/bench.sqlite3", "SECRET_KEY": "bench",
                      "UPLOAD_DIR": os.path.join(work, "uploads")})
    with app.app_context():
        db.create_all()
        plan = plan_import("题库.docx", data, "民法典")
        assert len(plan.new) == n and plan.ok, plan.problems[:3]
        planned = median_of_3(lambda: plan_import("题库.docx", data, "民法典"))
    print(f"{n} questions, {len(data) / 1024:.0f} KiB .docx: formats.read {read:.2f} s, plan_import (SQLite) {planned:.2f} s "
          "(median of 3)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
