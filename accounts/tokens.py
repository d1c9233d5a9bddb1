"""Signed, expiring API tokens (JWT, HS256 with the app's secret)."""
import time
from functools import lru_cache

import jwt
from flask import current_app


def issue(user_id: int) -> tuple[str, int]:
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    now = int(time.time())
    token = jwt.encode({"sub": str(user_id), "iat": now, "exp": now + ttl}, current_app.config["SECRET_KEY"], "HS256")
    return token, ttl


def verify(token: str) -> int | None:
    """The user id the token was issued to, or None if forged, malformed or expired."""
    user_id, expires = _checked(token, current_app.config["SECRET_KEY"])
    return user_id if user_id is not None and time.time() < expires else None


@lru_cache(maxsize=8192)
def _checked(token: str, secret: str) -> tuple[int | None, float]:
    """Signature check, remembered per token: a phone sends the same token on every
    request, and checking it costs more than the rest of a cheap request. Expiry is
    checked on every use by the caller."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"], "verify_exp": False})
        return int(claims["sub"]), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None, 0.0
