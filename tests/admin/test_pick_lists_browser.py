"""The exam form's 指定人员 box in a real browser: a clerk types a name and picks a cadre
from what the server finds (no list of everyone in the page), with the box's script and
styles served by the panel itself (the fixture fails on any other request)."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from core.extensions import db
from quiz_bank.exams.models import exam_cadre
from tests.admin.conftest import db_rows


@pytest.mark.committing
def test_a_clerk_finds_and_picks_a_cadre_by_name(open_panel, make):
    east, west = make.town(name="东湖镇"), make.town(name="西岭镇")
    office, village = make.org_unit(name="东湖司法所", kind="department", town=east), make.org_unit(name="东湖村", town=east)
    make.cadre(name="陈静", org_unit=office, phone="13811112222")
    chosen = make.cadre(name="陈静", org_unit=village, phone="13833334444").id  # a namesake, told apart by phone
    make.cadre(name="陈静", org_unit=make.org_unit(name="西岭村", town=west), phone="13855556666")
    for n in range(30):
        make.cadre(org_unit=office)
    exam = make.exam(title="东湖镇新提拔干部任前考试", assign_all=False, units=[office]).id
    username = make.admin("admin", town_id=east.id).username
    db.session.commit()

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/exams/edit/?id={exam}")
    assert page.locator("#cadres option").count() == 0  # no cadre is listed until the clerk asks
    page.click("#s2id_cadres .select2-choices")
    page.keyboard.type("陈静")
    found = page.locator(".select2-drop-active .select2-result-label")
    expect(found).to_have_text(["陈静（东湖司法所，尾号2222）", "陈静（东湖村，尾号4444）"])
    found.filter(has_text="尾号4444").click()
    expect(page.locator("#s2id_cadres .select2-search-choice")).to_have_text(["陈静（东湖村，尾号4444）"])
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    assert not any("失败" in f for f in panel.flashes()), panel.flashes()
    assert db_rows(select(exam_cadre.c.cadre_id).where(exam_cadre.c.exam_id == exam)) == [{"cadre_id": chosen}]
