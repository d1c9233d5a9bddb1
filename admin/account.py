"""账号安全: each signed-in account's own page, for every role: the TOTP second step,
and ending every session of the account."""
from flask import current_app, flash, redirect, session, url_for
from flask_admin import expose
from flask_login import current_user, logout_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired

from accounts import admins, audit
from admin.auth import StaffView
from core.ratelimit import remote_address
from core.transactions import writing


class CodeForm(FlaskForm):
    code = StringField("动态验证码", validators=[DataRequired("请输入验证器上的 6 位数字")])


class AccountView(StaffView):
    @expose("/")
    def index(self):
        qr = None
        if not current_user.totp_secret:
            # The secret waits in the (signed) session until a code from it proves the
            # authenticator has it.
            session.setdefault("totp_setup", admins.new_totp_secret())
            import segno  # heavy: imported where used

            qr = segno.make(admins.totp_uri(current_user, session["totp_setup"])).svg_data_uri(scale=5)
        return self.render("admin/account_security.html", form=CodeForm(), qr=qr, secret=session.get("totp_setup"),
                           required=admins.second_factor_required(current_user), must_set_up=admins.must_set_up_second_factor(current_user),
                           idle_minutes=int(current_app.permanent_session_lifetime.total_seconds()) // 60)

    @expose("/totp", methods=("POST",))
    def totp_on(self):
        form = CodeForm()
        with writing():
            enabled = form.validate_on_submit() and "totp_setup" in session and admins.enable_totp(
                current_user, session["totp_setup"], form.code.data)
            if enabled:
                audit.record(current_user.id, "totp_on", "admin_user", current_user.id, "开启两步验证")
        if enabled:
            session.pop("totp_setup")
            flash("两步验证已开启，今后登录须填写验证器上的动态验证码。", "success")
        else:
            flash("动态验证码不正确，请对准验证器上当前显示的 6 位数字重试。", "error")
        return redirect(url_for(".index"))

    @expose("/totp/off", methods=("POST",))
    def totp_off(self):
        form = CodeForm()
        if admins.second_factor_required(current_user):
            flash("本系统要求管理员开启两步验证，不能关闭。", "error")
            return redirect(url_for(".index"))
        with writing():
            disabled = form.validate_on_submit() and current_user.totp_secret and admins.check_totp(current_user, form.code.data)
            if disabled:
                admins.disable_totp(current_user)
                audit.record(current_user.id, "totp_off", "admin_user", current_user.id, "关闭两步验证")
        if disabled:
            flash("两步验证已关闭。", "info")
        else:
            flash("动态验证码不正确，未关闭两步验证。", "error")
        return redirect(url_for(".index"))

    @expose("/end-sessions", methods=("POST",))
    def end_sessions(self):
        if not FlaskForm().validate_on_submit():  # the CSRF token
            return redirect(url_for(".index"))
        with writing():
            admins.end_sessions(current_user)
            audit.record(current_user.id, "end_sessions", "admin_session", current_user.id, f"地址 {remote_address()} 结束了该账号的所有会话")
        logout_user()
        flash("该账号在所有浏览器上的登录都已结束，请重新登录。", "info")
        return redirect(url_for("auth.login"))
