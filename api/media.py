"""Serving stored event photos and their thumbnails.

Only names the server made are served: a SHA-256 and the extension of a format we
store, checked against a strict pattern, mapped to the content-addressed path. A
file's name is its content's hash, so it never changes and may be cached for good.
In production a reverse proxy may serve UPLOAD_DIR itself; these routes keep the
app working on its own.
"""
import os
import re

from flask import Blueprint, abort, current_app, send_from_directory

from activities.photos import MEDIA_PREFIX

# Not under /api/v1: the same files the panel shows, at the URLs activities.photos makes.
media_bp = Blueprint("media", __name__, url_prefix=MEDIA_PREFIX)

PHOTO_NAME = re.compile(r"([0-9a-f]{64})\.(jpg|png|webp)")
THUMB_NAME = re.compile(r"([0-9a-f]{64})\.jpg")
MIME_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
ONE_YEAR = 365 * 24 * 3600


def _send(kind: str, sha256: str, ext: str):
    directory = os.path.join(current_app.config["UPLOAD_DIR"], kind, sha256[:2])
    response = send_from_directory(directory, f"{sha256}.{ext}", mimetype=MIME_TYPES[ext], max_age=ONE_YEAR)
    response.cache_control.public = True
    response.cache_control.immutable = True
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@media_bp.get("/photos/<name>")
def photo(name: str):
    match = PHOTO_NAME.fullmatch(name)
    if match is None:
        abort(404)
    return _send("photos", match.group(1), match.group(2))


@media_bp.get("/thumbs/<name>")
def thumb(name: str):
    match = THUMB_NAME.fullmatch(name)
    if match is None:
        abort(404)
    return _send("thumbs", match.group(1), "jpg")
