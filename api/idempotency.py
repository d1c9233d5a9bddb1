"""Idempotency-Key on the creating POSTs (API.md): a retried tap with the same key and
body within 24 hours answers the first response again and does nothing more."""
import hashlib
import json
import time
from datetime import datetime, timedelta
from functools import wraps

from apiflask import HTTPError, Schema
from apiflask.fields import String
from apiflask.validators import Length
from flask import current_app, request
from sqlalchemy import JSON, ForeignKey, UniqueConstraint, delete, select, update
from sqlalchemy import String as SqlString
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from api import bp
from api.auth import current_user_id
from core.domain_errors import DomainError
from core.errors import ApiError, as_http, error_body
from core.extensions import db
from core.timeutil import utcnow
from core.transactions import writing

KEPT = timedelta(hours=24)
# How long a repeat waits for the first request of its key, still running, to answer.
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05
# A first request with no answer after this long died with its server (gunicorn kills a
# worker after 30 s, nginx gives up after 60 s). Whether its work was committed is
# unknown, so a repeat is not run again: it is told to look at the result instead.
ABANDONED_AFTER = timedelta(seconds=90)


class IdempotencyRecord(db.Model):
    """A person's key and the first answer to it; no status yet while that runs."""

    __tablename__ = "idempotency_record"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    key: Mapped[str] = mapped_column(SqlString(64))
    request_hash: Mapped[str] = mapped_column(SqlString(64))
    status_code: Mapped[int | None]
    body: Mapped[dict | list | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "key"),)


class IdempotencyHeaders(Schema):
    key = String(data_key="Idempotency-Key", validate=Length(min=1, max=64, error="Idempotency-Key 须为 1 到 64 个字符。"),
                 metadata={"description": "客户端为这次操作生成的唯一字符串（最长 64 个字符）。24 小时内以同一个键重发同样的请求，"
                                          "返回第一次的结果，不会重复操作；同一个键用于不同的请求返回 422 `idempotency_key_reused`。"})


# What the five operations may answer besides their own (added to their OpenAPI docs).
_DOCUMENTED = {
    422: ("提交的内容有误", "Idempotency-Key 为空或超过 64 个字符，或已用于另一个请求（idempotency_key_reused）"),
    409: ("", "同一 Idempotency-Key 的请求仍在处理中（request_in_progress），按 Retry-After 稍后重试；"
              "或第一次请求在处理中断开（request_interrupted），结果可能已生效，请刷新查看，不要用同一个键重试"),
}


def idempotent(view):
    """Honour an Idempotency-Key header. Goes between @bp.auth_required and @bp.input,
    so the key belongs to the signed-in person and the view's own answers, 4xx refusals
    included, are what a repeat gets."""

    @wraps(view)
    def wrapper(*args, idempotency, **kwargs):
        key = idempotency.get("key")
        if key is None:
            return view(*args, **kwargs)
        record_id, replay = _claim(current_user_id(), key, _request_hash())
        if replay is not None:
            return replay
        try:
            response = current_app.make_response(view(*args, **kwargs))
        except (HTTPError, DomainError) as raised:
            error = as_http(raised)
            if error.status_code >= 500:
                _forget(record_id)
            else:
                _settle(record_id, error.status_code, error_body(error))
            raise
        except BaseException:
            _forget(record_id)  # unforeseen: nothing was answered, so a retry may act
            raise
        if response.status_code >= 500:
            _forget(record_id)
        else:
            _settle(record_id, response.status_code, response.get_json(silent=True))
        return response

    responses = dict(view._spec.get("responses") or {})
    for status, (default, note) in _DOCUMENTED.items():
        responses[status] = "；".join(filter(None, (responses.get(status, default), note)))
    # A response given as a dict keeps only the content it names: name the error body.
    responses[409] = {"description": responses[409], "content": {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPError"}}},
                      "headers": {"Retry-After": {"description": "request_in_progress 时建议等待的秒数", "schema": {"type": "integer"}}}}
    wrapper._spec["responses"] = responses
    return bp.input(IdempotencyHeaders, location="headers", arg_name="idempotency")(wrapper)


def _request_hash() -> str:
    """Method, path and body. A multipart body by its fields and each file's SHA-256,
    since a retried upload is sent with a new boundary."""
    parts = [request.method, request.path]
    if request.mimetype == "multipart/form-data":
        parts.append(sorted(request.form.items(multi=True)))
        parts.append(sorted((name, f.filename or "", f.mimetype, _file_sha256(f.stream)) for name, f in request.files.items(multi=True)))
    else:
        parts.append(hashlib.sha256(request.get_data()).hexdigest())  # cached: the view's parser reads it again
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def _file_sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 16), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def _claim(user_id: int, key: str, request_hash: str):
    """(id of our new record, None), or (None, the first answer to replay). Waits while
    the first request of the key still runs; 409 past the deadline."""
    deadline = time.monotonic() + WAIT_SECONDS
    record = IdempotencyRecord.__table__.c
    while True:
        now = utcnow()
        try:
            with writing():  # its own unit: visible to a repeat before the work begins
                # A person's expired keys go when they next send one (the unique index finds them).
                db.session.execute(delete(IdempotencyRecord).where(record.user_id == user_id, record.created_at < now - KEPT))
                claim = IdempotencyRecord(user_id=user_id, key=key, request_hash=request_hash, created_at=now)
                db.session.add(claim)
                db.session.flush()
                claim_id = claim.id
            return claim_id, None
        except IntegrityError:
            pass
        while True:
            found = db.session.execute(select(record.request_hash, record.status_code, record.body, record.created_at)
                                       .where(record.user_id == user_id, record.key == key)).one_or_none()
            db.session.rollback()  # end the read: nothing is held while sleeping
            if found is None or found.created_at < utcnow() - KEPT:
                break  # the first request failed and let go, or its record expired: claim again
            if found.request_hash != request_hash:
                raise ApiError(422, "idempotency_key_reused", "该 Idempotency-Key 已用于另一个请求，请换一个新的。")
            if found.status_code is not None:
                return None, (found.body if found.body is not None else "", found.status_code)
            if found.created_at < utcnow() - ABANDONED_AFTER:
                raise ApiError(409, "request_interrupted", "上一次提交在处理中断开了，结果可能已经生效：请刷新查看，不要重复提交。")
            if time.monotonic() > deadline:
                raise _in_progress()
            time.sleep(POLL_SECONDS)
        if time.monotonic() > deadline:  # a key claimed and let go again and again
            raise _in_progress()


def _in_progress() -> ApiError:
    error = ApiError(409, "request_in_progress", "同样的请求正在处理中，请稍后再试。")
    error.headers = {"Retry-After": "1"}
    return error


def _settle(record_id: int, status_code: int, body) -> None:
    # Whatever the view left uncommitted would be rolled back at teardown anyway.
    db.session.rollback()
    with writing():
        db.session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == record_id).values(status_code=status_code, body=body))


def _forget(record_id: int) -> None:
    db.session.rollback()
    with writing():
        db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == record_id))

