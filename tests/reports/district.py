"""A district of two towns in 2025, built with the factories, whose figures town by town
are counted by hand in tests/reports/test_figures.py. Times are Beijing time.

乙镇: 乙一村 (b), 乙司法所 (cadre k2, failed the annual exam), 乙派出所 (cadre k3, did not sit).
甲镇: 甲一村 (a1), 甲二村 (a2), 甲司法所 (cadre k1, passed).
n gave no village.

Events, all held:
  EA 甲司法所, on-site quiz of 民法典: a1, a2, b
  EB 乙司法所: a1, b, n
  EC 乙派出所: b
So by the organiser's town 甲镇 reached 3 people (3 check-ins) and 乙镇 3 people (4 check-ins:
b came twice, counted once although two of its units organised); by the person's town
甲镇 2 people (3), 乙镇 1 (3), 未填写 1 (1).

Online learning: a1 2 answers (1 right), b 1 (right), n 1 (wrong).

`more_villages(make, district, n)` adds n villages to 甲镇, each with a resident who came
to EA and answered a question: the district's figures by town keep their rows."""
from dataclasses import dataclass, field
from datetime import datetime

from core.extensions import db
from tests.reports.town import answers, at, attempt, check_in, event

NOW = (2026, 1, 10, 10, 0)  # 2025 is over


@dataclass
class District:
    towns: dict = field(default_factory=dict)
    units: dict = field(default_factory=dict)
    people: dict = field(default_factory=dict)
    events: dict = field(default_factory=dict)
    law: object = None
    questions: list = field(default_factory=list)


def build_district(make) -> District:
    d = District()
    t = d.towns = {"甲": make.town(name="甲镇"), "乙": make.town(name="乙镇")}
    u = d.units = {name: make.org_unit(kind=kind, name=name, town=t[name[0]]) for name, kind in (
        ("甲一村", "village"), ("甲二村", "village"), ("甲司法所", "department"),
        ("乙一村", "village"), ("乙司法所", "department"), ("乙派出所", "department"))}
    p = d.people = {"a1": make.user(org_unit_id=u["甲一村"].id), "a2": make.user(org_unit_id=u["甲二村"].id),
                    "b": make.user(org_unit_id=u["乙一村"].id), "n": make.user(org_unit_id=None)}
    law = d.law = make.category(name="民法典（区测试）")
    q = d.questions = make.questions(2, law)
    e = d.events = {"EA": event(make, "甲镇宪法宣讲", "outreach", u["甲司法所"], datetime(2025, 5, 1, 9)),
                    "EB": event(make, "乙镇禁毒宣传", "antidrug_day", u["乙司法所"], datetime(2025, 6, 26, 9)),
                    "EC": event(make, "乙镇法治讲座", "lecture", u["乙派出所"], datetime(2025, 7, 1, 9))}
    e["EA"].quiz_category_id = law.id
    for name, people in (("EA", "a1 a2 b"), ("EB", "a1 b n"), ("EC", "b")):
        for key in people.split():
            check_in(e[name], p[key])
    answers(p["a1"], "practice", at(2025, 3, 1, 20), [(q[0], True), (q[1], False)], law)
    answers(p["b"], "daily", at(2025, 3, 2, 20), [(q[0], True)])
    answers(p["n"], "daily", at(2025, 3, 3, 20), [(q[1], False)])

    k = {"k1": make.cadre(make.user(), org_unit=u["甲司法所"]), "k2": make.cadre(make.user(), org_unit=u["乙司法所"]),
         "k3": make.cadre(make.user(), org_unit=u["乙派出所"])}
    exam = make.exam([(law, "single", 2, 50)], title="2025年度学法考试", opens_at=at(2025, 11, 1, 9), closes_at=at(2025, 11, 30, 18))
    attempt(exam, k["k1"], "submitted", 100, at(2025, 11, 2, 9))
    attempt(exam, k["k2"], "submitted", 0, at(2025, 11, 2, 9))
    db.session.flush()
    return d


def more_villages(make, d: District, n: int) -> None:
    for i in range(n):
        village = make.org_unit(kind="village", name=f"甲新{i}村", town=d.towns["甲"])
        person = make.user(org_unit_id=village.id)
        check_in(d.events["EA"], person)
        answers(person, "daily", at(2025, 4, 1, 20), [(d.questions[0], True)])
    db.session.flush()
