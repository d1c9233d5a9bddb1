"""Signed, expiring API tokens (JWT, HS256 with the app's secret)."""
import time

import jwt
from flask import current_app


def issue(user_id: int) -> tuple[str, int]:
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    now = int(time.time())
    token = jwt.encode({"sub": str(user_id), "iat": now, "exp": now + ttl}, current_app.config["SECRET_KEY"], "HS256")
    return token, ttl


def verify(token: str) -> int | None:
    """The user id the token was issued to, or None if forged, malformed or expired."""
    try:
        claims = jwt.decode(token, current_app.config["SECRET_KEY"], algorithms=["HS256"], options={"require": ["exp", "sub"]})
        return int(claims["sub"])
    except (jwt.PyJWTError, ValueError):
        return None
