"""The API docs page, served with its own assets so /docs works with no internet and
under a content security policy that allows no inline script."""
from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, current_app, render_template, send_from_directory

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
bp = Blueprint("docs", __name__)


@bp.get("/docs")
def page():
    return render_template("docs.html", title=current_app.title, version=current_app.version)


@bp.get("/docs/assets/<path:filename>")
def asset(filename):
    return send_from_directory(ASSETS, filename, max_age=86400)
