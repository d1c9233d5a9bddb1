"""POST /api/v1/quizzes/<id>/answers served in front of Flask's request machinery.

Answering is the app's hot path: every tap of a resident's answer is one. Through Flask
an answer also pays for the machinery around the view (request and response objects,
routing, the session interface, app-wide hooks, Flask-HTTPAuth, APIFlask's wrappers),
none of which it needs: without it an answer takes 284 µs in-process, against 343
(bench/RESULTS.md, session 5).
This WSGI layer serves the answers it can with the same functions the view
(`api.quizzes.answer`) calls, in the same order: the token check, the answer limit,
`AnswerIn`, `quiz_bank.quizzes.answer`, the app's JSON response.

Everything else goes to Flask as it came, body included: a request without a valid
bearer token, a body that is not JSON or that AnswerIn refuses, a path or method this
layer does not take. And a call that raises (a 409 "already answered", the 429 of the
limit, a database error) is handled by Flask's own error handling in a request
context. So every error keeps the one answer the Flask app gives; this layer only
saves Flask's machinery on success. tests/api/test_fast_answer.py holds both to it."""
import io
import json
import re

from flask import Flask, current_app, has_app_context
from marshmallow import ValidationError

from accounts import tokens
from api import quizzes as views
from api.auth import user_key
from api.schemas import AnswerIn
from core.ratelimit import limiter
from quiz_bank import quizzes

# The view's rule, /api/v1/quizzes/<int(max=2147483647):quiz_id>/answers, for ids
# without leading zeros; any other spelling is Flask's to route.
_PATH = re.compile(r"/api/v1/quizzes/([1-9][0-9]{0,9})/answers")
_MAX_ID = 2**31 - 1
_JSON = "application/json"


class FastAnswer:
    """WSGI middleware for `app`; `flask_wsgi` is the WSGI callable it stands in front of."""

    def __init__(self, app: Flask, flask_wsgi):
        self.app, self.flask_wsgi = app, flask_wsgi
        self.schema = AnswerIn()

    def __call__(self, environ, start_response):
        if environ["REQUEST_METHOD"] == "POST":
            match = _PATH.fullmatch(environ.get("PATH_INFO", ""))
            if match:
                response = self._serve(environ, int(match[1]))
                if response is not None:
                    return response(environ, start_response)
        return self.flask_wsgi(environ, start_response)

    def _serve(self, environ, quiz_id: int):
        """The response, or None to let Flask serve the request."""
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        length = environ.get("CONTENT_LENGTH", "")
        if (quiz_id > _MAX_ID or not authorization.startswith("Bearer ") or not length.isdigit()
                or int(length) > self.app.config["MAX_CONTENT_LENGTH"]
                or environ.get("CONTENT_TYPE", "").partition(";")[0].strip().lower() != _JSON):
            return None
        body = environ["wsgi.input"].read(int(length))
        environ["wsgi.input"] = io.BytesIO(body)  # for Flask, should it serve the request after all
        # As Flask does for a request: the app's context, unless one is already pushed.
        ctx = None if has_app_context() and current_app._get_current_object() is self.app else self.app.app_context()
        if ctx is not None:
            ctx.push()
        try:
            return self._answer(environ, quiz_id, authorization[7:].strip(), body)
        finally:
            if ctx is not None:
                ctx.pop()

    def _answer(self, environ, quiz_id: int, token: str, body: bytes):
        user_id = tokens.verify(token)
        if user_id is None:
            return None
        try:
            fields = self.schema.load(json.loads(body))
        except (ValueError, ValidationError, RecursionError):  # bad JSON or bad fields: Flask says which
            return None
        try:
            # The view's limit, counted under the view's name, as limiter.limit does for it.
            limiter.check(views.ANSWER_LIMIT, views.answer.__name__, user_key(user_id))
            result = quizzes.answer(user_id, quiz_id, fields["question_id"], fields["answer"])
        except Exception as exc:
            return self._flask_error(environ, exc)
        return self.app.json.response(vars(result))

    def _flask_error(self, environ, exc: Exception):
        """The response Flask gives when its view raises `exc`."""
        with self.app.request_context(environ):
            try:
                rv = self.app.handle_user_exception(exc)
            except Exception as unhandled:
                return self.app.handle_exception(unhandled)  # logs it; the 500 (raised when testing)
            return self.app.finalize_request(rv)
