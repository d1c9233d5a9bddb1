"""Starting an exam attempt and saving an answer send a fixed number of statements,
whatever the size of the bank and the roster."""
from accounts.models import Cadre, User
from accounts.roster import new_code
from core.extensions import db
from quiz_bank.exams.attempts import paper_of, shown_keys
from quiz_bank.exams.models import AttemptItem, ExamAttempt
from quiz_bank.models import Category, Question
from quiz_bank.questions import fingerprint


def _bank_and_roster(make, size: int):
    conn = db.session.connection()
    unit = make.org_unit(name=f"考试规模办{size}", kind="department")
    cats = [Category(name=f"考试规模法{size}-{i}", slug=f"exam-scale-{size}-{i}") for i in range(2)]
    db.session.add_all(cats)
    db.session.flush()
    options = [{"key": k, "text": f"选项{k}"} for k in "ABCD"]
    rows = []
    for cat in cats:
        for qtype, answer in (("single", ["B"]), ("multiple", ["A", "C"])):
            rows += [{"category_id": cat.id, "type": qtype, "stem": f"规模{qtype}{size}-{cat.id}-{i}", "options": options,
                      "answer": answer, "explanation": "", "source": "《民法典》第一条", "difficulty": 1, "status": "active",
                      "version": 1, "fingerprint": fingerprint(cat.id, qtype, f"规模{qtype}{size}-{cat.id}-{i}", options, answer)}
                     for i in range(size)]
    conn.execute(Question.__table__.insert(), rows)
    first = db.session.scalar(db.select(db.func.max(User.id))) or 0
    conn.execute(User.__table__.insert(), [
        {"openid": f"exam-scale-{size}-{i}", "nickname": "", "avatar_url": "", "real_name": f"干部{i}", "role": "cadre",
         "org_unit_id": unit.id, "points_balance": 0} for i in range(size)
    ])
    ids = db.session.scalars(db.select(User.id).where(User.id > first)).all()
    conn.execute(Cadre.__table__.insert(), [
        {"name": f"干部{i}", "phone": f"16{size:04d}{i:05d}", "org_unit_id": unit.id, "position": "", "newly_promoted": False,
         "binding_code": new_code(), "user_id": uid, "active": True} for i, uid in enumerate(ids)
    ])
    rules = [(c, t, 5, 5) for c in cats for t in ("single", "multiple")]
    return make.exam(rules=rules, title=f"规模考试{size}")


def _measure(api, make, count_queries, size):
    exam = _bank_and_roster(make, size)
    user = make.user()
    make.cadre(user)
    me = api.as_user(user)
    counts = {}
    with count_queries() as sql:
        assert len(me.get("/exams").get_json()) >= 1
    counts["list exams"] = len(sql)
    with count_queries() as sql:
        attempt = me.post(f"/exams/{exam.id}/attempts").get_json()
    counts["start attempt"] = len(sql)
    assert len(attempt["questions"]) == 20
    question, order = paper_of(db.session.get(ExamAttempt, attempt["id"]))[0]
    with count_queries() as sql:
        r = me.put(f"/exam-attempts/{attempt['id']}/answers/{question.id}", json={"answer": shown_keys(order, question.answer)})
        assert r.status_code == 200
    counts["save answer"] = len(sql)
    with count_queries() as sql:
        assert me.post(f"/exams/{exam.id}/attempts").status_code == 200
    counts["resume"] = len(sql)
    with count_queries() as sql:
        assert me.post(f"/exam-attempts/{attempt['id']}/submit").get_json()["score"] == 5
    counts["submit"] = len(sql)
    assert db.session.get(ExamAttempt, attempt["id"]).status == "submitted"
    return counts


def test_exam_queries_do_not_grow_with_data(api, make, count_queries):
    small = _measure(api, make, count_queries, 50)
    large = _measure(api, make, count_queries, 3000)
    print("\nSQL statements per exam request (50 vs 3,000 questions per category and type, and cadres):", small, large)
    assert small == large
    assert large["save answer"] <= 3
