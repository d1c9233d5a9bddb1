from api import bp
from api.auth import auth, current_user_id
from api.idempotency import idempotent
from api.schemas import PageQuery, RedeemIn, RedemptionOut, RedemptionPage, RewardPage, page_dict
from points import rewards

ID = "int(max=2147483647)"


@bp.get("/rewards")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(RewardPage)
def list_rewards(query):
    """积分可兑换的奖品

    每件奖品带 `my_remaining`：我现在还能兑换几件（按限兑周期计，null 为不限）；为 0 时 `available` 为 false。
    """
    return rewards.rewards_page(query["page"], query["per_page"], current_user_id())


@bp.post("/redemptions")
@bp.auth_required(auth)
@idempotent
@bp.input(RedeemIn, arg_name="body")
@bp.output(RedemptionOut, status_code=201)
@bp.doc(responses={400: "请求格式有误", 404: "奖品不存在或已下架",
                   409: "积分不足（insufficient_points）、已兑完（out_of_stock）、超过限兑（limit_reached）或不在兑换期内（not_offered）"})
def redeem(body):
    """兑换奖品

    扣除积分并预留一件奖品，返回领取码（及其二维码）。到兑换点出示领取码领取；逾期未领取自动退回积分。
    """
    return rewards.redeem(current_user_id(), body["reward_id"])


@bp.get("/redemptions")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(RedemptionPage)
def my_redemptions(query):
    """我的兑换记录"""
    return page_dict(rewards.my_redemptions(current_user_id(), query["page"], query["per_page"]))


@bp.post(f"/redemptions/<{ID}:redemption_id>/cancel")
@bp.auth_required(auth)
@bp.output(RedemptionOut)
@bp.doc(responses={404: "兑换记录不存在", 409: "已领取、已取消或已过期，不能取消"})
def cancel(redemption_id):
    """取消兑换（待领取时），积分和库存退回"""
    return rewards.cancel(current_user_id(), redemption_id)
