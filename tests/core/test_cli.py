"""The operator's commands: create-admin and seed-demo."""
import pytest
from sqlalchemy import func, select

from accounts.models import AdminUser, User
from core.extensions import db
from points.models import PointsEntry
from quiz_bank.models import Question, Quiz, WrongAnswer


def test_create_admin(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["create-admin", "zhangsan", "--password", "s3cret-pass", "--role", "editor"])
    assert result.exit_code == 0, result.output
    admin = db.session.scalar(select(AdminUser).where(AdminUser.username == "zhangsan"))
    assert admin.role == "editor" and admin.check_password("s3cret-pass") and admin.password_hash != "s3cret-pass"
    short = runner.invoke(args=["create-admin", "lisi", "--password", "short"])
    assert short.exit_code != 0


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
    # Running it again changes nothing.
    again = app.test_cli_runner().invoke(args=["seed-demo", "--residents", "20", "--days", "3"])
    assert "已存在" in again.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 22
    assert db.session.scalar(select(func.count()).select_from(WrongAnswer)) > 0
