"""The cadre roster: import from xlsx, binding codes, and binding an account once."""
import io

from openpyxl import Workbook, load_workbook
from sqlalchemy import select

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
