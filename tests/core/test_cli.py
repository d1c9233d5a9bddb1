"""The operator's commands: create-admin and seed-demo."""
import pytest
from sqlalchemy import func, select

from accounts.models import AdminUser, User
from core.extensions import db
from points.models import PointsEntry, Redemption, Reward
from quiz_bank.models import Question, Quiz, WrongAnswer


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "zhangsan", "--password", "river-lantern-47", "--role", "editor"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == "zhangsan"))
    assert admin.role == "editor" and admin.check_password("river-lantern-47") and admin.password_hash != "river-lantern-47"
    short = runner.invoke(args=["create-admin", "lisi", "--password", "short"])
    assert short.exit_code != 0 and "至少 10 位" in short.output
    common = runner.invoke(args=["create-admin", "lisi", "--password", "password123"])
    assert common.exit_code != 0 and "太常见" in common.output


def test_create_admin_for_a_town(app, make):
    """A new account is district staff unless a town is named; naming none keeps an
    existing account's town."""
    town = make.town(name="东湖镇")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "wangwu", "--password", "river-lantern-47", "--town", "东湖镇"])
    assert result.exit_code == 0 and "东湖镇" in result.output, result.output
    again = runner.invoke(args=["create-admin", "wangwu", "--password", "river-lantern-48"])
    assert again.exit_code == 0, again.output
    assert db.session.scalar(select(AdminUser.town_id).where(AdminUser.username == "wangwu")) == town.id
    assert runner.invoke(args=["create-admin", "zhaoliu", "--password", "river-lantern-47"]).exit_code == 0
    assert db.session.scalar(select(AdminUser.town_id).where(AdminUser.username == "zhaoliu")) is None
    nowhere = runner.invoke(args=["create-admin", "sunqi", "--password", "river-lantern-47", "--town", "不存在镇"])
    assert nowhere.exit_code != 0 and "没有名为“不存在镇”的镇" in nowhere.output


@pytest.mark.committing
def test_seed_demo_builds_a_town_with_the_two_demo_logins(app, api):
    result = app.test_cli_runner().invoke(args=["seed-demo", "--residents", "20", "--days", "3"])
    assert result.exit_code == 0, result.output
    assert "demo-resident" in result.output and "密码" in result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) >= 40
    for code, role in (("demo-resident", "resident"), ("demo-cadre", "cadre")):
        login = api.post("/auth/login", json={"code": code}).get_json()
        assert login["user"]["role"] == role and login["user"]["points_balance"] > 0
        uid = login["user"]["id"]
        assert db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.user_id == uid)) >= 3
        balance = db.session.scalar(select(User.points_balance).where(User.id == uid))
        assert balance == db.session.scalar(select(func.sum(PointsEntry.delta)).where(PointsEntry.user_id == uid))
        # The random redemptions of the demo history leave the demo logins alone: only
        # demo-resident's one book waits at the counter.
        shopped = db.session.scalars(select(Reward.name).join(Redemption).where(Redemption.user_id == uid)).all()
        assert shopped == (["《民法典》普法读本"] if role == "resident" else [])
        # Their answers built review cards, and they reviewed what was due.
        mastery = api.as_user(db.session.get(User, uid)).get("/me/mastery").get_json()
        assert any(row["level"] != "未学" for row in mastery)
        assert db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.user_id == uid, Quiz.mode == "review")) >= 1
    # Running it again changes nothing.
    again = app.test_cli_runner().invoke(args=["seed-demo", "--residents", "20", "--days", "3"])
    assert "已存在" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 22
    assert db.session.scalar(select(func.count()).select_from(WrongAnswer)) > 0


def test_questions_import_and_export_commands(app, tmp_path):
    runner = app.test_cli_runner()
    bad = tmp_path / "bank.csv"
    bad.write_text("题型,分类,题干,选项A,选项B,答案,出处\n单选,宪法,好题？,甲,乙,A,《宪法》第一条\n单选,宪法,坏题？,甲,乙,C,《宪法》第二条\n", encoding="gbk")
    result = runner.invoke(args=["questions", "import", str(bad)])
    assert result.exit_code != 0 and "第 3 行" in result.output and "未导入任何题目" in result.output
    assert db.session.scalar(select(func.count()).select_from(Question)) == 0
    result = runner.invoke(args=["questions", "import", str(bad), "--only-valid"])
    assert result.exit_code == 0 and "已导入 1 道题" in result.output

    shipped = runner.invoke(args=["questions", "import", "quiz_bank/data/xianfa.yaml"])
    assert shipped.exit_code == 0, shipped.output
    again = runner.invoke(args=["questions", "import", "quiz_bank/data/xianfa.yaml"])
    assert "已导入 0 道题" in again.output

    out = tmp_path / "out.json"
    assert runner.invoke(args=["questions", "export", str(out)]).exit_code == 0
    assert "《宪法》" in out.read_text(encoding="utf-8")
    assert runner.invoke(args=["questions", "export", str(tmp_path / "out.doc")]).exit_code != 0
