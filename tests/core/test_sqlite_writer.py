"""SQLite's writer process (core.sqlite_writer): `flask sqlite-writer` beside the app
runs the answers' write transactions; without it the app writes itself."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from accounts import tokens
from core.extensions import db
from core.sql import GroupCommit
from quiz_bank import quizzes
from tests.factories import Factories
from tests.helpers import app_of_its_own

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def own_app(tmp_path):
    app = app_of_its_own(tmp_path)
    with app.app_context():
        make = Factories()
        cat = make.category()
        questions = make.questions(4, cat, answer=["B"])
        user = make.user()
        quiz_id = quizzes.start_quiz(user.id, "practice", cat.id)[0].id
        db.session.commit()
        app.extra = {"quiz": quiz_id, "questions": [q.id for q in questions], "token": tokens.issue(user.id)[0]}
    yield app
    with app.app_context():
        db.engine.dispose()


def _writer_env(app, tmp_path) -> dict:
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    return {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": app.config["SECRET_KEY"],
            "PUFA_INSTANCE": str(tmp_path), "FLASK_APP": "wsgi.py"}


def _start_writer(app, tmp_path):
    database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
    proc = subprocess.Popen([sys.executable, "-m", "flask", "sqlite-writer"], cwd=ROOT, env=_writer_env(app, tmp_path))
    sock = f"{database}-writer.sock"
    for _ in range(200):
        if os.path.exists(sock):
            return proc, sock
        assert proc.poll() is None, "the writer stopped"
        time.sleep(0.1)
    proc.kill()
    pytest.fail("the writer did not start")


def _answer(app, client, question_id):
    return client.post(f"/api/v1/quizzes/{app.extra['quiz']}/answers", json={"question_id": question_id, "answer": ["B"]},
                       headers={"Authorization": f"Bearer {app.extra['token']}"})


def test_answers_are_written_by_the_writer_and_without_it_by_the_app(own_app, tmp_path, monkeypatch):
    proc, sock = _start_writer(own_app, tmp_path)
    try:
        def in_process(*args):
            raise AssertionError("written in the app process, not by the writer")

        monkeypatch.setattr(GroupCommit, "run", in_process)
        # One writer a database: a second one says so and leaves.
        second = subprocess.run([sys.executable, "-m", "flask", "sqlite-writer"], cwd=ROOT, env=_writer_env(own_app, tmp_path),
                                capture_output=True, text=True, timeout=60)
        assert second.returncode != 0 and "已有写入进程" in second.stderr
        q1, q2, q3, q4 = own_app.extra["questions"]
        client = own_app.test_client()
        first = _answer(own_app, client, q1)
        assert first.status_code == 200 and first.get_json()["points_awarded"] == 1
        # The writer's refusals come back as the app's own answers.
        again = _answer(own_app, client, q1)
        assert again.status_code == 409 and again.get_json()["code"] == "already_answered"
        # Ten taps at once on one question: one is paid.
        barrier, codes = threading.Barrier(10), []

        def tap():
            c = own_app.test_client()
            barrier.wait()
            codes.append(_answer(own_app, c, q2).status_code)

        threads = [threading.Thread(target=tap) for _ in range(10)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(codes) == [200] + [409] * 9

        # The writer stops (as a service is stopped): its socket goes with it. The answer
        # sent to it meanwhile is refused with "try again", not written twice or lost...
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(20) == 0 and not os.path.exists(sock)
        gone = _answer(own_app, client, q3)
        assert gone.status_code == 503 and gone.get_json()["code"] == "service_unavailable"
        # ...and from then on the app writes itself.
        monkeypatch.undo()
        assert _answer(own_app, client, q3).status_code == 200
        assert _answer(own_app, own_app.test_client(), q4).status_code == 200
        with own_app.app_context():
            from accounts.models import User

            user_id = tokens.verify(own_app.extra["token"])
            assert db.session.get(User, user_id).points_balance == 4
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
