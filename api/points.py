from accounts.services import get_user
from api import bp
from api.auth import auth, current_user_id
from api.schemas import LeaderboardOut, LeaderboardQuery, LedgerPage, PageQuery, PointsOut, page_dict
from points import ledger
from points.leaderboard import leaderboard as board


@bp.get("/points")
@bp.auth_required(auth)
@bp.output(PointsOut)
def points():
    """我的积分"""
    user = get_user(current_user_id())
    return {"balance": user.points_balance, "earned_today": ledger.earned_today(user.id)}


@bp.get("/points/ledger")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(LedgerPage)
def points_ledger(query):
    """积分明细"""
    return page_dict(ledger.ledger_page(current_user_id(), query["page"], query["per_page"]))


@bp.get("/leaderboard")
@bp.auth_required(auth)
@bp.input(LeaderboardQuery, location="query", arg_name="query")
@bp.output(LeaderboardOut)
@bp.doc(responses={422: "未设置所在单位时不能看本单位排行"})
def leaderboard(query):
    """排行榜

    `period`: week（本周）、month（本月）、year（本年，即当年各月之和）、all（总榜）；`scope`: town（本人所在的镇；未选择单位时为全区）或 org_unit（本村、社区或单位）。
    积分相同者名次相同；`me` 为我的名次（没有积分时为 null）。
    """
    return board(get_user(current_user_id()), query["period"], query["scope"], query["limit"])
