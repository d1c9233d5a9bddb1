"""The pickup counter in a real browser: a scanner types the code and presses Enter."""
import pytest
from playwright.sync_api import expect

from core.extensions import db
from points import rewards
from points.models import Redemption
from tests.admin.conftest import db_rows

browser_test = pytest.mark.committing


@browser_test
def test_scan_a_code_and_hand_over(open_panel, make):
    username = make.admin(role="admin").username
    user = make.rich_user(60, real_name="李桂芳")
    reward = make.reward(cost=25, name="5斤装大米")
    db.session.commit()
    redemption = rewards.redeem(user.id, reward.id)
    redemption_id, code = redemption.id, redemption.pickup_code
    db.session.rollback()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/pickup/")
    page.locator("#pickup-code").type(code)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("#pickup-found")).to_contain_text("5斤装大米")
    expect(page.locator("#pickup-found")).to_contain_text("李桂芳")
    with page.expect_navigation():
        page.click("#hand-over-form button")
    assert any("已发放" in f for f in panel.flashes())
    row = db_rows(db.select(Redemption.status, Redemption.handed_over_at).where(Redemption.id == redemption_id))[0]
    assert row["status"] == "handed_over" and row["handed_over_at"] is not None
