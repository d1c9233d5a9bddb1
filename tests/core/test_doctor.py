"""`flask doctor` says what is right and what to fix, on a working demo and on a
misconfigured production environment (which it must diagnose, not refuse)."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def _flask(*args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PUFA_", "WECHAT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    out = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         env={**base, "FLASK_APP": "wsgi.py", **env})
    return out.returncode, out.stdout + out.stderr


def _verdicts(output: str) -> dict[str, str]:
    return {line.split("]", 1)[1].split("：", 1)[0].strip(): line[1:3] for line in output.splitlines() if line.startswith("[")}


def test_doctor_on_a_migrated_demo_is_all_right(tmp_path):
    env = {"PUFA_INSTANCE": str(tmp_path)}
    assert _flask("db", "upgrade", **env)[0] == 0
    code, output = _flask("doctor", **env)
    assert code == 0, output
    verdicts = _verdicts(output)
    assert set(verdicts.values()) == {"正常"}
    assert {"运行模式", "数据库连接", "数据库结构", "时钟", "上传目录", "证书字体", "Redis", "签到二维码", "时区"} <= set(verdicts)
    assert "开发登录已开启" in output  # no WeChat credentials: anyone may sign in with any code


def test_doctor_says_the_development_login_is_off_once_wechat_is_set(tmp_path):
    code, output = _flask("doctor", PUFA_INSTANCE=str(tmp_path), WECHAT_APPID="wx0123456789abcdef", WECHAT_SECRET="s" * 32)
    mode = next(line for line in output.splitlines() if "运行模式" in line)
    assert "开发登录已关闭" in mode and "开发登录已开启" not in output


def test_doctor_names_each_problem_of_a_broken_production(tmp_path):
    (tmp_path / "uploads").write_text("a file where the upload directory should be")
    code, output = _flask("doctor", PUFA_ENV="production", PUFA_INSTANCE=str(tmp_path), UPLOAD_DIR=str(tmp_path / "uploads"),
                          CERT_FONT="/nonexistent/font.ttc", REDIS_URL="redis://127.0.0.1:9/0", TIMEZONE="Mars/Olympus")
    assert code == 1
    problems = [line for line in output.splitlines() if line.startswith("[问题]")]
    text = "\n".join(problems)
    for expected in ("SECRET_KEY", "WECHAT_APPID", "ALLOW_SQLITE=1", "flask db upgrade", "UPLOAD_DIR", "fonts-wqy-microhei",
                     "REDIS_URL", "PUBLIC_BASE_URL", "Asia/Shanghai"):
        assert expected in text, (expected, output)
    assert "拒绝启动" not in output  # the doctor ran; it did not crash on the refusal


def test_the_server_itself_refuses_that_environment(tmp_path):
    code, output = _flask("routes", PUFA_ENV="production", PUFA_INSTANCE=str(tmp_path))
    assert code != 0 and "拒绝启动" in output and "SECRET_KEY" in output


def test_cut_font_at_deploy_prepares_what_the_first_certificate_needs(tmp_path):
    env = {"PUFA_INSTANCE": str(tmp_path)}
    assert "flask exams cut-font" in _flask("doctor", **env)[1]
    code, output = _flask("exams", "cut-font", **env)
    assert code == 0, output
    assert [p.name for p in tmp_path.glob("cert-font-*.ttf")], output
    assert "常用字版本已裁剪好" in _flask("doctor", **env)[1]
