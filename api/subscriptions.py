from api import bp
from api.auth import auth, current_user_id
from api.idempotency import idempotent
from api.schemas import SubscribeIn, SubscriptionsOut
from reminders import subscriptions


@bp.get("/me/subscriptions")
@bp.auth_required(auth)
@bp.output(SubscriptionsOut)
def my_subscriptions():
    """我的订阅消息

    可以订阅的模板（干部另有考试提醒）、各自的微信模板 ID，以及还可以给我发几条。
    """
    return {"templates": subscriptions.listing(current_user_id())}


@bp.post("/me/subscriptions")
@bp.auth_required(auth)
@idempotent
@bp.input(SubscribeIn, arg_name="body")
@bp.output(SubscriptionsOut)
@bp.doc(responses={400: "请求格式有误", 422: "含有不可订阅的模板（validation_error，details.templates 列出）"})
def subscribe(body):
    """记录订阅

    在 `wx.requestSubscribeMessage` 中用户点了“允许”的模板，每个模板记一次：微信规定每次“允许”只能发一条消息。
    请带上 Idempotency-Key：同一次授权的重试不会多记；不带时每次请求都算作一次新的授权。
    """
    subscriptions.subscribe(current_user_id(), body["templates"])
    return {"templates": subscriptions.listing(current_user_id())}
