"""Login for township staff, and what each role may do."""
from flask import flash, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired

from accounts import admins
from accounts.models import ADMIN_ROLE_LABELS, AdminUser, User
from core.extensions import db
from core.timeutil import local_midnight_utc, local_today
from quiz_bank.models import Question, Quiz


def load_admin(admin_id: str):
    return db.session.get(AdminUser, int(admin_id))


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and current_user.role in roles


def forbidden():
    """A page that says why, for a signed-in account whose role may not do this."""
    return "<p>当前账号没有权限进行此操作。</p><p><a href='/admin/'>返回管理后台</a></p>", 403


READERS = ("admin", "editor", "reviewer")


class StaffOnly:
    """Panel pages for township staff: every role may read; anonymous visitors are sent
    to the login page, and a signed-in account without the role gets a page saying why."""

    readers: tuple[str, ...] = READERS

    def is_accessible(self):
        return has_role(*self.readers)

    def inaccessible_callback(self, name, **kwargs):
        if current_user.is_authenticated:
            return forbidden()
        return redirect(url_for("auth.login", next=request.full_path))


class StaffView(StaffOnly, BaseView):
    """A plain (non-CRUD) panel page for staff."""


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名")])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


class DashboardView(AdminIndexView):
    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        since = local_midnight_utc(local_today())
        stats = {
            "题库中启用的题目": db.session.scalar(select(func.count()).select_from(Question).where(Question.status == "active")),
            "注册用户": db.session.scalar(select(func.count()).select_from(User)),
            "今日答题次数": db.session.scalar(select(func.count()).select_from(Quiz).where(Quiz.started_at >= since)),
        }
        return self.render("admin/dashboard.html", stats=stats, role_label=ADMIN_ROLE_LABELS[current_user.role])


class AuthView(BaseView):
    def is_visible(self):
        return current_user.is_authenticated

    @expose("/", methods=["GET"])
    def index(self):
        return redirect(url_for(".logout"))

    @expose("/login", methods=["GET", "POST"])
    def login(self):
        form = LoginForm()
        if form.validate_on_submit():
            admin = admins.authenticate(form.username.data, form.password.data)
            if admin:
                login_user(admin)
                target = request.args.get("next") or ""
                # Only redirect inside the panel, never to another site.
                return redirect(target if target.startswith("/admin") else url_for("admin.index"))
            flash("用户名或密码错误。", "error")
        return self.render("admin/login.html", form=form)

    @expose("/logout", methods=["GET"])
    def logout(self):
        logout_user()
        flash("已退出登录。", "info")
        return redirect(url_for(".login"))
