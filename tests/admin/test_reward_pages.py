"""Rewards, the pickup counter and the books in the panel (test client, CSRF off)."""
import io

from PIL import Image
from sqlalchemy import select

from accounts.models import AuditLog
from core.extensions import db
from points import rewards
from points.models import Redemption, Reward
from tests.admin.conftest import login


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


def test_admin_adds_a_reward_with_a_picture(panel, make, client):
    login(panel, make.admin("admin"))
    r = panel.post("/admin/rewards/new/", data={
        "name": "普法读本", "description": "民法典通俗读本", "cost": "30", "stock": "20", "per_user_limit": "1",
        "limit_period": "month", "offered_from": "", "offered_until": "", "visible": "y",
        "image_file": (io.BytesIO(_png()), "book.png", "image/png"),
    }, content_type="multipart/form-data")
    assert r.status_code == 302, r.get_data(as_text=True)
    reward = db.session.scalar(select(Reward).where(Reward.name == "普法读本"))
    assert reward.image_mime == "image/png" and reward.per_user_limit == 1 and reward.limit_period == "month"
    assert client.get(rewards.reward_image_url(reward)).status_code == 200
    assert "普法读本" in db.session.scalar(select(AuditLog.summary).where(AuditLog.entity == "reward"))


def test_a_fake_picture_is_refused(panel, make):
    login(panel, make.admin("admin"))
    r = panel.post("/admin/rewards/new/", data={
        "name": "雨伞", "cost": "10", "stock": "5", "limit_period": "all", "visible": "y",
        "image_file": (io.BytesIO(b"MZ not an image"), "umbrella.png", "image/png"),
    }, content_type="multipart/form-data", follow_redirects=True)
    assert "只能上传 JPEG、PNG 或 WebP" in r.get_data(as_text=True)
    assert db.session.scalar(select(Reward).where(Reward.name == "雨伞")) is None


def test_counter_finds_by_code_and_hands_over_once(panel, make):
    staff = make.admin("admin")
    user = make.rich_user(50, real_name="王秀兰")
    redemption = rewards.redeem(user.id, make.reward(cost=20, name="洗衣液").id)
    code = redemption.pickup_code
    login(panel, staff)
    page = panel.get(f"/admin/pickup/?code={code[:5]} {code[5:].lower()}").get_data(as_text=True)
    assert "洗衣液" in page and "王秀兰" in page and "待领取" in page and "确认发放" in page
    r = panel.post(f"/admin/pickup/{redemption.id}/hand-over", follow_redirects=True)
    assert "已发放" in r.get_data(as_text=True)
    db.session.refresh(redemption)
    assert redemption.status == "handed_over" and redemption.handed_over_by == staff.id
    again = panel.post(f"/admin/pickup/{redemption.id}/hand-over", follow_redirects=True)
    assert "已领取，不能再领取" in again.get_data(as_text=True)
    assert "没有找到" in panel.get("/admin/pickup/?code=ZZZZZZZZZZ").get_data(as_text=True)


def test_reviewer_cannot_hand_over(panel, make):
    user = make.rich_user(50)
    redemption = rewards.redeem(user.id, make.reward(cost=20).id)
    login(panel, make.admin("reviewer"))
    assert "确认发放" not in panel.get(f"/admin/pickup/?code={redemption.pickup_code}").get_data(as_text=True)
    assert panel.post(f"/admin/pickup/{redemption.id}/hand-over").status_code == 403
    assert db.session.get(Redemption, redemption.id).status == "pending"


def test_books_page_shows_the_last_count_and_the_nightly_recount_finds_a_tampered_balance(app, panel, make):
    user = make.rich_user(80)
    staff = make.admin("admin")
    handed = rewards.redeem(user.id, make.reward(cost=30, name="保温杯").id)
    rewards.hand_over(handed.id, staff.id)
    login(panel, staff)
    page = panel.get("/admin/books/").get_data(as_text=True)
    assert "核对无误" in page and "保温杯" in page and "兑换奖品" in page and 'id="counted-at"' in page
    user.points_balance = 1  # tampered
    db.session.commit()
    assert "不一致" not in panel.get("/admin/books/").get_data(as_text=True)  # as counted before
    assert app.test_cli_runner().invoke(args=["figures", "refresh"]).exit_code == 0
    assert "不一致" in panel.get("/admin/books/").get_data(as_text=True)


def test_the_district_lists_every_towns_rewards_in_the_same_statements(panel, make, count_queries):
    login(panel, make.admin("admin"))
    panel.get("/admin/rewards/")  # the signed-in account is loaded once, as in any session

    def listed():
        db.session.expunge_all()  # as in a real request, no town is already loaded
        with count_queries() as sql:
            page = panel.get("/admin/rewards/").get_data(as_text=True)
        return len(sql), page

    make.reward(name="区级雨伞")
    first = make.town(name="东湖镇")
    make.reward(name="东湖镇台灯", town_id=first.id)
    few, _ = listed()
    for n in range(6):
        make.reward(name=f"第{n}镇保温杯", town_id=make.town(name=f"第{n}镇").id)
    many, page = listed()
    assert many == few
    assert "第5镇保温杯" in page and "第5镇" in page and "东湖镇台灯" in page
