"""Start-up stays light: a gunicorn worker that never makes a certificate, a QR code or a
workbook never loads the libraries for them (issue 14: memory of the served app)."""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))

# Imported where used, never at start-up. fontTools cuts the certificate font; zxcvbn holds ~12 MB of
# word lists; docx may not be installed.
HEAVY = ["openpyxl", "reportlab", "fontTools", "segno", "faker", "pypdf", "docx", "zxcvbn"]


def _python(tmp_path, code: str) -> subprocess.CompletedProcess:
    """`code` in a fresh interpreter with a development environment of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PUFA_", "WECHAT_", "DATABASE_URL", "REDIS_URL", "SECRET_KEY"))}
    env.update(PUFA_INSTANCE=str(tmp_path), SECRET_KEY="test-secret-key-not-for-production")
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def _import_wsgi(tmp_path, before: str = "") -> subprocess.CompletedProcess:
    """`import wsgi` in a fresh interpreter, as a worker does; prints the heavy modules loaded."""
    return _python(tmp_path, f"import json, sys\n{before}\nimport wsgi\n"
                             f"print(json.dumps(sorted(m for m in {HEAVY + ['PIL']!r} if sys.modules.get(m) is not None)))")


def test_starting_the_app_loads_no_heavy_library(tmp_path):
    out = _import_wsgi(tmp_path)
    assert out.returncode == 0, out.stderr
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    # Flask-Admin's form module imports Pillow itself (optionally, about 2 MB): not ours to move.
    assert [m for m in loaded if m != "PIL"] == []


def test_the_app_starts_with_none_of_them_importable(tmp_path):
    """No module of ours imports one at module level, Pillow included: with all of them
    made unimportable, `import wsgi` still works (Flask-Admin does without Pillow)."""
    block = "; ".join(f"sys.modules[{m!r}] = None" for m in [*HEAVY, "PIL"])
    out = _import_wsgi(tmp_path, before=block)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_a_worker_keeps_what_start_up_built_out_of_the_collectors_full_passes(tmp_path):
    """A full collection walks every tracked object: left in, the app's start-up objects
    made each one a stall of ~100 ms at the district's p99 (bench/RESULTS.md, Session 13).
    After `import wsgi` they are frozen, and what a collection walks is small beside them."""
    out = _python(tmp_path, "import gc, json, wsgi; print(json.dumps([gc.get_freeze_count(), len(gc.get_objects())]))")
    assert out.returncode == 0, out.stderr[-2000:]
    frozen, walked = json.loads(out.stdout.strip().splitlines()[-1])
    assert frozen > 50_000 and walked < frozen / 10, (frozen, walked)
