"""The check-in code on the projector: the event and the second it was issued, signed
by the server, in 27 characters (a WeChat mini-program code's `scene` takes 32).

A token is shown for the event's `token_seconds` and accepted for CHECKIN_TOKEN_GRACE
seconds longer, so a slow login still gets in while a screenshot kept for later fails."""
import base64
import binascii
import hashlib
import hmac
import struct
from datetime import datetime, timezone

from flask import current_app

_LAYOUT = struct.Struct(">II")  # event id, issued at (Unix seconds)
_MAC_BYTES = 12


class InvalidToken(ValueError):
    pass


def _mac(payload: bytes) -> bytes:
    key = hashlib.sha256(b"pufa-checkin:" + current_app.config["SECRET_KEY"].encode()).digest()
    return hmac.new(key, payload, hashlib.sha256).digest()[:_MAC_BYTES]


def _unix(moment: datetime) -> int:
    return int(moment.replace(tzinfo=timezone.utc).timestamp())


def issue(event_id: int, token_seconds: int, now: datetime) -> tuple[str, datetime]:
    """The token on the projector at `now` (UTC): the same for the whole period, so the
    QR code is steady. Returns it and when the period ends."""
    start = _unix(now) // token_seconds * token_seconds
    payload = _LAYOUT.pack(event_id, start)
    token = base64.urlsafe_b64encode(payload + _mac(payload)).rstrip(b"=").decode()
    return token, datetime.fromtimestamp(start + token_seconds, timezone.utc).replace(tzinfo=None)


def read(token: str) -> tuple[int, datetime]:
    """(event id, issued at) of a genuine token; InvalidToken for anything else."""
    if not isinstance(token, str) or len(token) != 27:
        raise InvalidToken
    try:
        raw = base64.urlsafe_b64decode(token + "=")
    except (binascii.Error, ValueError):
        raise InvalidToken
    # 27 characters carry 2 bits more than the 20 bytes: only the one spelling we issue
    # counts, so no altered token decodes to a genuine one.
    if base64.urlsafe_b64encode(raw).rstrip(b"=").decode() != token:
        raise InvalidToken
    payload, mac = raw[: _LAYOUT.size], raw[_LAYOUT.size:]
    if len(raw) != _LAYOUT.size + _MAC_BYTES or not hmac.compare_digest(mac, _mac(payload)):
        raise InvalidToken
    event_id, issued = _LAYOUT.unpack(payload)
    return event_id, datetime.fromtimestamp(issued, timezone.utc).replace(tzinfo=None)
