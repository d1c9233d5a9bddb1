from sqlalchemy import text

from api import bp
from api.schemas import Health
from core.errors import ApiError
from core.extensions import db


@bp.get("/healthz")
@bp.output(Health)
@bp.doc(responses={503: "数据库不可用"})
def healthz():
    """健康检查：数据库可用时返回 ok"""
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:
        db.session.rollback()
        raise ApiError(503, "service_unavailable", "数据库暂时不可用。")
    return {"status": "ok"}
