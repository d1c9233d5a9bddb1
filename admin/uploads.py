"""Files uploaded for a preview-then-confirm step, kept under UPLOAD_DIR/imports and
found again by an opaque token, never by a path the client chose."""
import os
import re
import uuid

from flask import current_app

TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _dir() -> str:
    path = os.path.join(current_app.config["UPLOAD_DIR"], "imports")
    os.makedirs(path, exist_ok=True)
    return path


def stash(upload, ext: str) -> tuple[str, str]:
    """Save an uploaded file; returns (token, path)."""
    token = uuid.uuid4().hex
    path = os.path.join(_dir(), token + ext)
    upload.save(path)
    return token, path


def stashed(token: str) -> str | None:
    if not TOKEN.match(token or ""):
        return None
    for name in os.listdir(_dir()):
        if name.startswith(token + "."):
            return os.path.join(_dir(), name)
    return None
