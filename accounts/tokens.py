"""Signed, expiring API tokens (JWT, HS256 with the app's secret)."""
import time
from functools import lru_cache

import jwt
from flask import current_app

from accounts import revocation


def issue(user_id: int) -> tuple[str, int]:
    ttl = current_app.config["TOKEN_TTL_SECONDS"]
    now = time.time()
    # iat to the millisecond: a deletion revokes the tokens issued before it (accounts.revocation).
    token = jwt.encode({"sub": str(user_id), "iat": round(now, 3), "exp": int(now) + ttl}, current_app.config["SECRET_KEY"], "HS256")
    return token, ttl


def verify(token: str) -> int | None:
    """The user id the token was issued to, or None if forged, malformed, expired or its
    account deleted (accounts.revocation: no database query)."""
    user_id, issued, expires = _checked(token, current_app.config["SECRET_KEY"])
    if user_id is None or time.time() >= expires or revocation.is_revoked(user_id, issued):
        return None
    return user_id


@lru_cache(maxsize=8192)
def _checked(token: str, secret: str) -> tuple[int | None, float, float]:
    """Signature check, remembered per token: a phone sends the same token on every
    request, and checking it costs more than the rest of a cheap request. Expiry is
    checked on every use by the caller."""
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["exp", "sub"], "verify_exp": False})
        return int(claims["sub"]), float(claims.get("iat", 0)), float(claims["exp"])
    except (jwt.PyJWTError, ValueError, TypeError):
        return None, 0.0, 0.0
