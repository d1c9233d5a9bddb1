"""Login for township staff (throttled, audited, with an optional TOTP second step),
their sessions, and what each role may do."""
from flask import flash, redirect, request, session, url_for
from flask_admin import AdminIndexView, BaseView, expose
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Optional

from accounts import admins, audit
from accounts.models import ADMIN_ROLE_LABELS, AdminUser
from core.errors import ApiError
from core.extensions import db
from core.ratelimit import limiter, remote_address
from core.timeutil import local_text, local_today, utcnow
from core.transactions import writing
from reports import dashboard, snapshots


def load_admin(session_id: str):
    """The account of a session, while the account is active and the session's epoch
    is the account's (AdminUser.get_id): a session from before "end all sessions", a
    password change or deactivation finds no one."""
    admin_id, _, epoch = session_id.partition(".")
    admin = db.session.get(AdminUser, int(admin_id)) if admin_id.isdigit() else None
    if admin is None or not admin.active or str(admin.session_epoch) != epoch:
        return None
    return admin


def require_second_factor_setup():
    """With ADMIN_REQUIRE_2FA=1, an `admin` without TOTP may only set it up."""
    path = request.path
    if (path.startswith("/admin") and not path.startswith(("/admin/auth/", "/admin/account/", "/admin/static/"))
            and current_user.is_authenticated and admins.must_set_up_second_factor(current_user)):
        flash("管理员账号须先开启两步验证。", "info")
        return redirect(url_for("account.index"))
    return None


def has_role(*roles: str) -> bool:
    return current_user.is_authenticated and current_user.role in roles


def forbidden():
    """A page that says why, for a signed-in account whose role may not do this."""
    from core.errors import panel_error_page

    return panel_error_page(403, "当前账号没有权限进行此操作。")


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
    code = StringField("动态验证码", description="开启了两步验证的账号，填写验证器上的 6 位数字", validators=[Optional()])




class DashboardView(AdminIndexView):
    """首页: what needs doing today, and the year so far in charts, each beside its numbers."""

    @expose("/")
    def index(self):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path))
        from admin.secrets import SECRET_READERS  # it imports this module

        from admin.tenancy import chosen_town, picker

        now, town = utcnow(), chosen_town()
        today = local_today(now)
        towns = picker()
        year = snapshots.year_of(today.year, town, with_towns=towns["district"] and town is None)
        return self.render("admin/dashboard.html", stats=dashboard.counts(now, town), role_label=ADMIN_ROLE_LABELS[current_user.role],
                           todo=dashboard.todos(now, town), glance=dashboard.assemble(year.figures, **year.glance),
                           can_project=has_role(*SECRET_READERS), local=local_text, min_answers=dashboard.MIN_ANSWERS,
                           by_town=year.by_town, counted_at=year.counted_at, **towns)


class AuthView(BaseView):
    def is_visible(self):
        return current_user.is_authenticated

    @expose("/", methods=["GET"])
    def index(self):
        return redirect(url_for(".logout"))

    @expose("/login", methods=["GET", "POST"])
    def login(self):
        form = LoginForm()
        if not form.validate_on_submit():
            return self.render("admin/login.html", form=form)
        address, username = remote_address(), form.username.data.strip()[:64]
        try:  # attempts of any outcome, per address: bounds what one address can make us write
            limiter.check("RATELIMIT_LOGIN", "admin_login", address)
        except ApiError as busy:
            flash("登录尝试太频繁，请稍后再试。", "error")
            return self.render("admin/login.html", form=form), 429, busy.headers
        try:
            admin = admins.sign_in(username, form.password.data, form.code.data, address)
        except admins.LockedOut as locked:
            flash(f"登录失败次数过多，请 {(locked.wait_seconds + 59) // 60} 分钟后再试。", "error")
            return self.render("admin/login.html", form=form), 429, {"Retry-After": str(locked.wait_seconds)}
        if admin is None:
            flash("用户名、密码或动态验证码错误。", "error")
            return self.render("admin/login.html", form=form)
        login_user(admin)
        session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME idle
        if admins.must_set_up_second_factor(admin):
            return redirect(url_for("account.index"))
        target = request.args.get("next") or ""
        # Only redirect inside the panel, never to another site.
        return redirect(target if target.startswith("/admin") else url_for("admin.index"))

    @expose("/logout", methods=["GET"])
    def logout(self):
        if current_user.is_authenticated:
            with writing():
                audit.record(current_user.id, "logout", "admin_session", current_user.id, f"地址 {remote_address()} 退出登录")
        logout_user()
        flash("已退出登录。", "info")
        return redirect(url_for(".login"))
