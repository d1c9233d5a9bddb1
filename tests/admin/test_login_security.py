"""The panel's login resists guessing, is audited, and its sessions can end: idle
timeout, "end all sessions", deactivation; optional TOTP, required for admins when
ADMIN_REQUIRE_2FA=1."""
import re
import time

import pyotp
import pytest
from flask import g
from sqlalchemy import select

from accounts import admins
from accounts.models import AuditLog
from core.extensions import db
from core.ratelimit import limiter
from tests.admin.conftest import PASSWORD, login


@pytest.fixture(autouse=True)
def _fresh_counts():
    limiter.reset()
    yield
    limiter.reset()


def _try(client, username, password, code="", address="203.0.113.7"):
    return client.post("/admin/auth/login", data={"username": username, "password": password, "code": code},
                       environ_base={"REMOTE_ADDR": address})


def _as_new_request(client):
    """The test's app context outlives requests, and Flask-Login keeps the signed-in
    account in `g`: drop it, so the next request reads its session as a new one would."""
    g.pop("_login_user", None)
    return client


def _audit(action):
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action).order_by(AuditLog.id)).all()


def test_guessing_one_account_locks_it_even_for_the_right_password(panel, make):
    boss = make.admin("admin")
    answers = [_try(panel, boss.username, f"wrong-{i}").status_code for i in range(30)]
    assert answers[:5] == [200] * 5 and set(answers[5:]) == {429}
    locked = _try(panel, boss.username, PASSWORD)
    assert locked.status_code == 429 and int(locked.headers["Retry-After"]) > 60
    assert "登录失败次数过多" in locked.get_data(as_text=True)
    # The lockout is the account's: from another address the right password is refused too.
    assert _try(panel, boss.username, PASSWORD, address="198.51.100.1").status_code == 429
    failed = _audit("login_failed")
    assert len(failed) == 5 and all("203.0.113.7" in e.summary and boss.username in e.summary for e in failed)
    assert len(_audit("login_locked")) == 27 and _audit("login") == []


def test_one_address_guessing_many_accounts_is_stopped(panel, make):
    boss = make.admin("admin")
    statuses = [_try(panel, f"nobody{i}", "wrong-password").status_code for i in range(21)]
    assert statuses[:20] == [200] * 20 and statuses[20] == 429
    assert _try(panel, boss.username, PASSWORD).status_code == 429
    # Another address is not held up by it.
    assert _try(panel, boss.username, PASSWORD, address="198.51.100.1").status_code == 302


def test_a_successful_login_is_audited_with_the_address(panel, make):
    boss = make.admin("admin")
    assert _try(panel, boss.username, PASSWORD, address="192.0.2.44").status_code == 302
    [entry] = _audit("login")
    assert entry.admin_id == boss.id and "192.0.2.44" in entry.summary


@pytest.mark.parametrize("password, why", [
    ("short-1", "至少 10 位"), ("1234567890", "太常见"), ("qwertyuiop", "太常见"), ("password123", "太常见"),
    ("admin12345", "太常见"),
])
def test_weak_passwords_are_refused(password, why):
    assert why in admins.password_problem(password, "admin")
    with pytest.raises(ValueError, match=why):
        admins.create_admin("newstaff", password)


def test_the_panel_refuses_a_common_password_for_a_new_account(panel, make):
    login(panel, make.admin("admin"))
    r = panel.post("/admin/admins/new/", data={"username": "wangwu", "role": "editor", "active": "y", "password": "1q2w3e4r5t"})
    assert r.status_code == 200 and "太常见" in r.get_data(as_text=True)


def _enable_totp(client) -> str:
    client.get("/admin/account/")
    with client.session_transaction() as session:
        secret = session["totp_setup"]
    r = client.post("/admin/account/totp", data={"code": pyotp.TOTP(secret).now()})
    assert r.status_code == 302
    return secret


def test_totp_second_step(panel, make):
    boss = make.admin("editor")
    login(panel, boss)
    page = panel.get("/admin/account/").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page and "未开启" in page
    secret = _enable_totp(panel)
    assert boss.totp_secret == secret and _audit("totp_on")
    panel.get("/admin/auth/logout")
    # The password alone no longer signs in, nor does a wrong code.
    assert _try(panel, boss.username, PASSWORD).status_code == 200
    assert _try(panel, boss.username, PASSWORD, code="000000").status_code == 200
    boss.totp_last_step = None  # the code used to switch it on may sign in once more
    code = pyotp.TOTP(secret).now()
    assert _try(panel, boss.username, PASSWORD, code=code).status_code == 302
    panel.get("/admin/auth/logout")
    # A code seen over a shoulder cannot be used again.
    assert _try(panel, boss.username, PASSWORD, code=code).status_code == 200


def test_admins_must_set_up_totp_when_required(panel, make, app):
    app.config["ADMIN_REQUIRE_2FA"] = True
    try:
        boss, editor = make.admin("admin"), make.admin("editor")
        r = _try(panel, boss.username, PASSWORD)
        assert r.headers["Location"].endswith("/admin/account/")
        r = panel.get("/admin/questions/")
        assert r.status_code == 302 and r.headers["Location"].endswith("/admin/account/")
        assert "本系统要求管理员开启两步验证" in panel.get("/admin/account/").get_data(as_text=True)
        _enable_totp(panel)
        assert _as_new_request(panel).get("/admin/questions/").status_code == 200
        # It cannot be switched off while required.
        panel.post("/admin/account/totp/off", data={"code": pyotp.TOTP(boss.totp_secret).now()})
        assert boss.totp_secret
        # Editors are not held to it.
        other = panel.application.test_client()
        _try(other, editor.username, PASSWORD)
        assert other.get("/admin/questions/").status_code == 200
    finally:
        app.config["ADMIN_REQUIRE_2FA"] = False


def test_ending_all_sessions_signs_out_every_browser(panel, make, app):
    boss = make.admin("admin")
    office, home = panel, app.test_client()
    login(office, boss)
    login(home, boss)
    assert home.get("/admin/questions/").status_code == 200
    r = office.post("/admin/account/end-sessions")
    assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"]
    assert _as_new_request(home).get("/admin/questions/").status_code == 302
    assert _as_new_request(office).get("/admin/questions/").status_code == 302
    assert _audit("end_sessions")[0].admin_id == boss.id


def test_a_deactivated_account_is_signed_out(panel, make):
    boss = make.admin("admin")
    login(panel, boss)
    boss.active = False
    db.session.flush()
    assert _as_new_request(panel).get("/admin/questions/").status_code == 302


def test_an_idle_session_expires(panel, make, monkeypatch):
    login(panel, make.admin("admin"))
    assert panel.get("/admin/questions/").status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(time, "time", lambda: later)
    r = _as_new_request(panel).get("/admin/questions/")
    assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"]


def test_an_active_session_is_kept(panel, make, monkeypatch):
    login(panel, make.admin("admin"))
    start = time.time()
    for minutes in (20, 40, 60):  # a request every 20 minutes keeps it alive
        monkeypatch.setattr(time, "time", lambda m=minutes: start + m * 60)
        assert _as_new_request(panel).get("/admin/questions/").status_code == 200


def test_panel_inline_scripts_carry_the_responses_nonce(panel, make):
    login(panel, make.admin("admin"))
    r = panel.get("/admin/questions/")
    nonce = re.search(r"'nonce-([^']+)'", r.headers["Content-Security-Policy"]).group(1)
    scripts = re.findall(r"<script([^>]*)>", r.get_data(as_text=True))
    assert scripts and all(f'nonce="{nonce}"' in attrs for attrs in scripts)


def test_attempts_of_any_outcome_are_limited_per_address(panel, make, app):
    """So that one address cannot fill the audit log with lockout entries."""
    boss = make.admin("admin")
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    try:
        statuses = [_try(panel, boss.username, "wrong-password").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        assert len(_audit("login_failed")) == 3
        assert _try(panel, boss.username, PASSWORD, address="198.51.100.9").status_code == 302
    finally:
        app.config["RATELIMIT_LOGIN"] = "10000 per minute"
