"""Serve the Swagger UI assets ourselves so /docs works with no internet."""
from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, send_from_directory

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
bp = Blueprint("docs_assets", __name__, url_prefix="/docs/assets")


@bp.get("/<path:filename>")
def asset(filename):
    return send_from_directory(ASSETS, filename, max_age=86400)


def configure(app) -> None:
    app.config.update(
        SWAGGER_UI_CSS="/docs/assets/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS="/docs/assets/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS="/docs/assets/swagger-ui-standalone-preset.js",
        DOCS_FAVICON="/docs/assets/favicon-32x32.png",
    )
