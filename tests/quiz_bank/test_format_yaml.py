"""YAML banks of several laws: one file, one document a law, read back the same."""
from sqlalchemy import delete, select

from core.extensions import db
from quiz_bank.formats import yamlfmt
from quiz_bank.importer import apply_import, plan_import
from quiz_bank.models import Category, Question


def _snapshot():
    rows = db.session.execute(
        select(Category.name, Category.slug, Category.description, Question.type, Question.stem, Question.options,
               Question.answer, Question.explanation, Question.source, Question.difficulty)
        .join(Category).order_by(Category.name, Question.stem)
    ).all()
    return [tuple(r) for r in rows]


def test_the_command_line_exports_several_laws_to_one_yaml_file_that_imports_back_the_same(app, make, tmp_path):
    civil = make.category(name="民法典", slug="minfadian", description="中华人民共和国民法典")
    river = make.category(name="长江保护法", slug="changjiang", description="中华人民共和国长江保护法")
    make.question(civil, type="single", answer=["B"], source="《民法典》第一千零七十九条", difficulty=2)
    make.question(civil, type="multiple", answer=["A", "C"], source="《民法典》第一千零六十二条")
    make.question(river, type="true_false", answer=["F"], stem="长江干支流岸线一公里内可以新建化工园区。",
                  source="《长江保护法》第二十六条")
    before = _snapshot()
    path = tmp_path / "bank.yaml"
    exported = app.test_cli_runner().invoke(args=["questions", "export", str(path)])
    assert exported.exit_code == 0, exported.output
    db.session.execute(delete(Question))
    db.session.execute(delete(Category))
    db.session.flush()
    plan = plan_import("bank.yaml", path.read_bytes())
    assert plan.ok, [str(p) for p in plan.problems]
    assert apply_import(plan) == 3
    assert _snapshot() == before


SECOND_LAW_BROKEN = """\
category:
  name: 民法典
questions:
  - type: true_false
    stem: 十八周岁以上的自然人为成年人。
    answer: [T]
    source: 《民法典》第十七条
---
category:
  name: 长江保护法
questions:
  - type: true_false
    stem: 禁止在长江流域重点水域非法采砂。
    answer: [T]
    source: 《长江保护法》第二十八条
  - just a line
"""


def test_a_file_of_several_laws_is_read_law_by_law_and_file_problems_are_marked():
    result = yamlfmt.read(SECOND_LAW_BROKEN.encode())
    assert [(q.line, q.category) for q in result.questions] == [(1, "民法典"), (2, "长江保护法")]
    assert [c["name"] for c in result.categories] == ["民法典", "长江保护法"]
    (item,) = result.problems
    assert item.line == 3 and not item.whole_file
    (invalid,) = yamlfmt.read(b"category: [\n").problems
    (shapeless,) = yamlfmt.read("题目: 只有一行\n".encode()).problems
    assert invalid.whole_file and shapeless.whole_file and "category 和 questions" in shapeless.message
