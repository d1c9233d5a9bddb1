"""The schema comes from the Alembic migrations, and they agree with the models."""
from contextlib import contextmanager

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import text

from core import create_app
from core.extensions import db
from tests.helpers import new_database

pytestmark = pytest.mark.committing


@pytest.fixture
def empty_database(tmp_path):
    """A database of its own: a new SQLite file, or a new PostgreSQL database."""
    with new_database(tmp_path, "pufa_migrations") as url:
        yield url


@contextmanager
def migrated(url):
    """A connection to the database at `url`, upgraded by the migrations."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade()
        try:
            with db.engine.connect() as conn:
                yield conn
        finally:
            db.engine.dispose()


def test_migrations_build_exactly_the_models(empty_database):
    with migrated(empty_database) as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), db.metadata)
    assert diff == []


def test_migrations_store_tables_as_the_models_do(tmp_path):
    """Alembic does not compare storage options: SQLite's WITHOUT ROWID tables (the
    points tallies, written by every answer) must come from the migrations too. On
    SQLite whatever the suite's database, since the option is SQLite's."""
    with migrated(f"sqlite:///{tmp_path}/migrated.sqlite3") as conn:
        without_rowid = {name for name, sql in conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
                         if "WITHOUT ROWID" in sql.upper()}
    modelled = {t.name for t in db.metadata.sorted_tables if t.dialect_options["sqlite"].get("with_rowid") is False}
    assert modelled == {"points_tally", "points_daily"}
    assert without_rowid == modelled


def _insert(conn, table: str, **values) -> int:
    """A row with `values` and a plain value in every other column that needs one (the
    schema as the migrations left it, not as the models say)."""
    from sqlalchemy import inspect

    for column in inspect(conn).get_columns(table):
        name, kind = column["name"], str(column["type"]).upper()
        if name in values or column["nullable"] or column.get("default") is not None or column.get("autoincrement") is True:
            continue
        if name == "id":
            continue
        values[name] = ("2026-01-01 00:00:00" if "TIME" in kind else True if "BOOL" in kind else 1 if "INT" in kind
                        else "[]" if "JSON" in kind else name[:8])
    names = ", ".join(values)
    row = conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in values)}) RETURNING id"), values)
    return row.scalar()


def test_attempts_made_before_0009_keep_their_paper_in_order(empty_database):
    """0009 moved the drawn paper onto the attempt: attempts already made (one in
    progress, its items written at the start) get theirs from their items, in order."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade(revision="0008")
        with db.engine.begin() as conn:
            category = _insert(conn, "category", name="民法典", slug="mfd")
            questions = [_insert(conn, "question", category_id=category, type="single", status="active") for _ in range(3)]
            town = _insert(conn, "org_unit", kind="town", name="新镇")
            unit = _insert(conn, "org_unit", kind="village", name="新村", parent_id=town)
            user = _insert(conn, "app_user", role="cadre", points_balance=0)
            cadre = _insert(conn, "cadre", org_unit_id=unit, user_id=user)
            exam = _insert(conn, "exam", kind="annual", review_policy="after_close", opens_at="2026-01-01 00:00:00",
                           closes_at="2026-01-02 00:00:00", duration_minutes=60, attempts_allowed=1, pass_score=60)
            attempt = _insert(conn, "exam_attempt", exam_id=exam, user_id=user, cadre_id=cadre, number=1, status="in_progress")
            order = [questions[2], questions[0], questions[1]]
            for position, qid in enumerate(order):
                conn.execute(text("INSERT INTO attempt_item (attempt_id, question_id, position, points, option_order) "
                                  "VALUES (:a, :q, :p, 10, :o)"), {"a": attempt, "q": qid, "p": position, "o": '["B", "A"]'})
        upgrade()
        with db.engine.connect() as conn:
            paper = conn.execute(text("SELECT paper FROM exam_attempt WHERE id = :a"), {"a": attempt}).scalar()
        db.engine.dispose()
    import json

    paper = json.loads(paper) if isinstance(paper, str) else paper
    assert paper == [[qid, 10, ["B", "A"]] for qid in order]


def test_the_wrong_answer_book_before_0014_is_due_for_review_after_it(empty_database):
    """0014: each question in a wrong-answer book gets the card a wrong answer gives, due
    since it was answered wrong, so the review quiz serves it and the book keeps it."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade(revision="0013")
        with db.engine.begin() as conn:
            category = _insert(conn, "category", name="民法典", slug="mfd")
            question = _insert(conn, "question", category_id=category, type="single", status="active")
            user = _insert(conn, "app_user", role="resident", points_balance=0)
            conn.execute(text("INSERT INTO wrong_answer (user_id, question_id, category_id, last_answer, wrong_count, last_wrong_at) "
                              "VALUES (:u, :q, :c, '[\"A\"]', 2, '2026-11-01 08:00:00')"), {"u": user, "q": question, "c": category})
        upgrade()
        with db.engine.connect() as conn:
            card = conn.execute(text("SELECT state, step, due, reviews, category_id FROM review_card WHERE user_id = :u AND question_id = :q"),
                                {"u": user, "q": question}).one()
        db.engine.dispose()
    assert (card.state, card.step, str(card.due)[:19], card.reviews, card.category_id) == (1, 0, "2026-11-01 08:00:00", 2, category)


def _units_at_0015(url, units: list[tuple]) -> dict:
    """A database at 0015 holding `units` ((key, kind, parent key)), an admin and a
    reward; upgraded, the town of each unit by key, and the admin's and the reward's."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade(revision="0015")
        ids = {}
        with db.engine.begin() as conn:
            for key, kind, parent in units:
                ids[key] = _insert(conn, "org_unit", kind=kind, name=key, parent_id=ids.get(parent))
            _insert(conn, "admin_user", username="old-admin", password_hash="x", role="admin", active=True)
            _insert(conn, "reward", name="雨伞", cost=10, stock=1, visible=True, limit_period="all")
        try:
            upgrade()
            with db.engine.connect() as conn:
                towns = dict(conn.execute(text("SELECT name, town_id FROM org_unit")).all())
                names = {v: k for k, v in ids.items()}
                found = {key: names.get(town) for key, town in towns.items()}
                found["admin"] = names.get(conn.execute(text("SELECT town_id FROM admin_user")).scalar())
                found["reward"] = names.get(conn.execute(text("SELECT town_id FROM reward")).scalar())
                found["orphan's parent"] = names.get(conn.execute(
                    text("SELECT parent_id FROM org_unit WHERE name = 'orphan'")).scalar())
            return found
        finally:
            db.engine.dispose()


def test_the_towns_migration_gives_each_unit_its_town_and_a_township_its_staff_and_rewards(empty_database):
    """towns_are_tenants: a unit's town is its parent's; a unit under no town joins the only town; the
    township's admins and rewards become its town's."""
    found = _units_at_0015(empty_database, [("东湖镇", "town", None), ("东湖村", "village", "东湖镇"),
                                            ("司法所", "department", "东湖镇"), ("orphan", "village", None)])
    assert found == {"东湖镇": "东湖镇", "东湖村": "东湖镇", "司法所": "东湖镇", "orphan": "东湖镇",
                     "admin": "东湖镇", "reward": "东湖镇", "orphan's parent": "东湖镇"}


def test_the_towns_migration_with_several_towns_keeps_staff_district_wide_and_stops_at_a_unit_of_no_town(
        empty_database, tmp_path, capfd):
    found = _units_at_0015(empty_database, [("东湖镇", "town", None), ("西岭镇", "town", None), ("西岭村", "village", "西岭镇")])
    assert found["西岭村"] == "西岭镇" and found["东湖镇"] == "东湖镇" and found["admin"] is None and found["reward"] is None
    with pytest.raises(SystemExit):  # Flask-Migrate logs the error and exits
        _units_at_0015(f"sqlite:///{tmp_path}/orphan.sqlite3",
                       [("东湖镇", "town", None), ("西岭镇", "town", None), ("orphan", "village", None)])
    assert "org_unit rows [3] belong to no town and there are 2 towns" in capfd.readouterr().err


def test_year_tallies_are_filled_from_the_month_tallies_and_taken_away_on_downgrade(empty_database):
    """0018: a person's year row ('y2026') is the sum of their month rows of that year,
    with their unit, so the year board reads what the months add up to."""
    from flask_migrate import downgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": empty_database, "SECRET_KEY": "migration-test"})
    with app.app_context():
        upgrade(revision="0017")
        with db.engine.begin() as conn:
            town = _insert(conn, "org_unit", id=900, kind="town", name="新镇", town_id=900)  # a town is its own town
            unit = _insert(conn, "org_unit", kind="village", name="新村", parent_id=town, town_id=town)
            keen = _insert(conn, "app_user", openid="keen", role="resident", points_balance=0, org_unit_id=unit)
            loner = _insert(conn, "app_user", openid="loner", role="resident", points_balance=0)
            for user, period, points in ((keen, "m2025-12", 4), (keen, "m2026-01", 5), (keen, "m2026-11", 7),
                                         (keen, "w2026-48", 7), (keen, "all", 16), (loner, "m2026-03", 2), (loner, "all", 2)):
                conn.execute(text("INSERT INTO points_tally (user_id, period, org_unit_id, points) VALUES (:u, :p, :o, :n)"),
                             {"u": user, "p": period, "o": unit if user == keen else None, "n": points})
        try:
            upgrade()
            with db.engine.connect() as conn:
                years = conn.execute(text("SELECT user_id, period, org_unit_id, points FROM points_tally "
                                          "WHERE period LIKE 'y%' ORDER BY user_id, period")).all()
            downgrade(revision="0017")
            with db.engine.connect() as conn:
                left = conn.execute(text("SELECT count(*) FROM points_tally WHERE period LIKE 'y%'")).scalar()
                kept = conn.execute(text("SELECT count(*) FROM points_tally")).scalar()
        finally:
            db.engine.dispose()
    assert [tuple(row) for row in years] == [(keen, "y2025", unit, 4), (keen, "y2026", unit, 12), (loner, "y2026", None, 2)]
    assert (left, kept) == (0, 7)
