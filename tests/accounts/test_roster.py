"""The cadre roster: import from xlsx, binding codes, and binding an account once."""
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import event, select

from accounts import roster
from accounts.models import Cadre
from core.extensions import db


def _xlsx(rows, header=roster.HEADERS) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_import_creates_cadres_with_codes_and_reimport_updates_by_phone(make):
    office = make.org_unit(name="镇党政办", kind="department")
    village = make.org_unit(name="东湖村")
    plan = roster.plan_roster(_xlsx([
        ["李娜", "13812345678", "镇党政办", "主任", "否"],
        ["王强", 13987654321, "东湖村", "村党支部书记", "是"],  # Excel keeps phone numbers as numbers
    ]))
    assert plan.ok and plan.new == 2 and plan.changed == 0
    assert roster.apply_roster(plan) == (2, 0)
    wang = db.session.scalar(select(Cadre).where(Cadre.phone == "13987654321"))
    assert wang.org_unit_id == village.id and wang.newly_promoted and len(wang.binding_code) == 8
    code = wang.binding_code

    plan = roster.plan_roster(_xlsx([["王强", "13987654321", "镇党政办", "副镇长", "否"]]))
    assert plan.new == 0 and plan.changed == 1
    assert roster.apply_roster(plan) == (0, 1)
    db.session.refresh(wang)
    assert (wang.org_unit_id, wang.position, wang.newly_promoted, wang.binding_code) == (office.id, "副镇长", False, code)


def test_import_lists_every_problem_and_writes_nothing(make):
    make.org_unit(name="镇党政办", kind="department")
    plan = roster.plan_roster(_xlsx([
        ["", "13812345678", "镇党政办", "主任", "否"],
        ["张三", "1381234", "镇党政办", "", "否"],
        ["李四", "13800000001", "不存在的单位", "", "否"],
        ["王五", "13800000002", "镇党政办", "", "也许"],
        ["赵六", "13800000003", "镇党政办", "", "是"],
        ["钱七", "13800000003", "镇党政办", "", "否"],
    ]))
    lines = [line for line, _ in plan.problems]
    assert lines == [2, 3, 4, 5, 7]
    assert "不存在" in plan.problems[2][1] and "重复" in plan.problems[4][1]
    assert not plan.ok
    assert roster.plan_roster(_xlsx([], header=["姓名", "电话"])).problems[0][1].startswith("表头缺少")
    assert "无法读取" in roster.plan_roster(b"not a spreadsheet").problems[0][1]
    assert db.session.scalar(select(Cadre.id)) is None


def test_binding_sheet(make):
    cadre = make.cadre()
    sheet = load_workbook(io.BytesIO(roster.binding_sheet([cadre]))).active
    assert [c.value for c in sheet[1]] == ["姓名", "单位", "职务", "手机号", "绑定码", "状态"]
    assert [c.value for c in sheet[2]][:5] == [cadre.name, cadre.org_unit.name, cadre.position, cadre.phone, cadre.binding_code]


def test_binding_sheet_keeps_formula_like_text_as_text(make):
    cadre = make.cadre(name="=1+1", position="@主任", org_unit=make.org_unit(kind="department", name="-党政办"))
    sheet = load_workbook(io.BytesIO(roster.binding_sheet([cadre]))).active
    assert [(c.value, c.data_type) for c in sheet[2]][:4] == [("'=1+1", "s"), ("'-党政办", "s"), ("'@主任", "s"), (cadre.phone, "s")]


def test_binding_through_the_api(api, make):
    cadre = make.cadre(name="周敏")
    user = make.user(nickname="小周")
    me = api.as_user(user)
    r = me.post("/me/cadre-binding", json={"real_name": "周敏", "binding_code": cadre.binding_code.lower()})
    assert r.status_code == 200, r.json
    assert r.json["role"] == "cadre" and r.json["real_name"] == "周敏" and r.json["org_unit"]["id"] == cadre.org_unit_id
    # The same pair again is harmless; another account cannot take the code.
    assert me.post("/me/cadre-binding", json={"real_name": "周敏", "binding_code": cadre.binding_code}).status_code == 200
    other = api.as_user(make.user())
    r = other.post("/me/cadre-binding", json={"real_name": "周敏", "binding_code": cadre.binding_code})
    assert r.status_code == 409 and r.json["code"] == "already_bound"
    # A bound account cannot take a second cadre's code.
    second = make.cadre(name="吴刚")
    r = me.post("/me/cadre-binding", json={"real_name": "吴刚", "binding_code": second.binding_code})
    assert r.status_code == 409 and r.json["code"] == "already_cadre"


def test_binding_needs_the_matching_name(api, make):
    cadre = make.cadre(name="周敏")
    me = api.as_user(make.user())
    for body in ({"real_name": "周明", "binding_code": cadre.binding_code}, {"real_name": "周敏", "binding_code": "ZZZZZZZZ"}):
        r = me.post("/me/cadre-binding", json=body)
        assert r.status_code == 422 and r.json["code"] == "binding_mismatch"
    assert me.post("/me/cadre-binding", json={"real_name": "", "binding_code": "x"}).status_code == 422
    assert me.get("/me").json["role"] == "resident"


def test_reset_binding_frees_the_account_and_changes_the_code(make):
    user = make.user()
    cadre = make.cadre(user)
    old = cadre.binding_code
    roster.reset_binding(cadre)
    db.session.flush()
    assert cadre.user_id is None and cadre.binding_code != old and user.role == "resident"


def _cadre_statements(statements) -> list[str]:
    return [s for s in statements if "FROM cadre" in s]


def test_a_towns_roster_may_not_take_over_another_towns_cadre(make, count_queries):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    make.org_unit(name="东湖村", town=east)
    ours = make.cadre(org_unit=make.org_unit(name="东湖司法所", kind="department", town=east), phone="13800000011")
    theirs = make.cadre(org_unit=make.org_unit(name="西岭司法所", kind="department", town=west), phone="13800000012")
    for n in range(20):  # other towns' cadres the file does not name are none of its business
        make.cadre(org_unit=theirs.org_unit, phone=f"135000000{n:02d}")
    content = _xlsx([
        [ours.name, ours.phone, "东湖村", "", "否"],
        ["王强", theirs.phone, "东湖村", "", "否"],
        ["李娜", "138-0000-0013", "东湖村", "", "否"],
    ])
    with count_queries() as statements:
        plan = roster.plan_roster(content, town_id=east.id)
    assert plan.problems == [(3, f"手机号 {theirs.phone} 是其他镇花名册上的干部，不能由本镇导入修改。")]
    assert [r.phone for r in plan.rows] == [ours.phone, "13800000013"] and (plan.new, plan.changed) == (1, 1)
    # Only the file's phones are asked about, each time in one IN list.
    asked = _cadre_statements(statements)
    assert asked and all("cadre.phone IN" in s for s in asked), asked
    # The district's roster may move anyone.
    assert roster.plan_roster(content, town_id=None).ok


def test_a_long_roster_asks_about_its_phones_in_chunks(make, monkeypatch, count_queries):
    monkeypatch.setattr(roster, "PHONES_PER_QUERY", 2, raising=False)
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    make.org_unit(name="东湖村", town=east)
    elsewhere = make.org_unit(name="西岭村", town=west)
    taken = [make.cadre(org_unit=elsewhere, phone=f"1370000000{n}").phone for n in (1, 4)]
    rows = [[f"干部{n}", f"1370000000{n}", "东湖村", "", "否"] for n in range(1, 6)]
    with count_queries() as statements:
        plan = roster.plan_roster(_xlsx(rows), town_id=east.id)
    assert [line for line, _ in plan.problems] == [2, 5] and all("其他镇" in text for _, text in plan.problems)
    assert [r.phone for r in plan.rows] == ["13700000002", "13700000003", "13700000005"]
    assert taken[0] in plan.problems[0][1] and taken[1] in plan.problems[1][1]
    # 5 phones of other towns' cadres asked 2 at a time, then the 3 accepted ones.
    assert len(_cadre_statements(statements)) == 3 + 2


def test_a_district_roster_is_written_in_bounded_statements(make):
    """A district's roster has 5,100 cadres: its known cadres and new binding codes are
    asked about 1,000 at a time (not one IN list of every phone, past SQLite's limit on
    parameters, nor a query per new cadre), and every new cadre gets a code of their own."""
    office = make.org_unit(name="区司法局", kind="department")
    known = {make.cadre(org_unit=office, phone=f"1390000{n:04d}").binding_code for n in (0, 1234, 2499)}
    plan = roster.plan_roster(_xlsx([[f"干部{n}", f"1390000{n:04d}", "区司法局", "科员", "否"] for n in range(2500)]))
    assert plan.ok and (plan.new, plan.changed) == (2497, 3)
    sent = []

    def record(conn, cursor, statement, params, context, executemany):
        sent.append((statement, len(params[0] if executemany else params)))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert roster.apply_roster(plan) == (2497, 3)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    reads = [n for statement, n in sent if statement.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 3 + 3 and max(reads) <= roster.PHONES_PER_QUERY, reads  # phones, then codes
    assert len(sent) < 20, len(sent)  # and the writes go in batches: one insert, one update
    codes = db.session.scalars(select(Cadre.binding_code)).all()
    assert len(codes) == len(set(codes)) == 2500 and known <= set(codes)
