from accounts import services, tenancy, tokens
from api import bp
from api.auth import auth, current_user_id
from api.schemas import LoginIn, LoginOut, OrgUnitOut, OrgUnitQuery, ProfileIn, UserOut
from core.ratelimit import limiter


@bp.post("/auth/login")
@limiter.limit("RATELIMIT_LOGIN")
@bp.input(LoginIn, arg_name="body")
@bp.output(LoginOut)
@bp.doc(responses={400: "请求格式有误", 401: "登录凭证无效或已使用", 403: "微信判定账号存在风险",
                   429: "登录太频繁", 502: "微信返回异常", 503: "微信繁忙，请重试"})
def login(body):
    """微信登录

    用 `wx.login` 得到的 code 换取令牌。未配置微信 AppID 时为开发登录：code 即用户标识。
    """
    user = services.login(body["code"])
    token, ttl = tokens.issue(user.id)
    return {"token": token, "expires_in": ttl, "user": user}


@bp.get("/me")
@bp.auth_required(auth)
@bp.output(UserOut)
def me():
    """我的资料"""
    return services.get_user(current_user_id())


@bp.patch("/me")
@bp.auth_required(auth)
@bp.input(ProfileIn, arg_name="body")
@bp.output(UserOut)
@bp.doc(responses={400: "请求格式有误"})
def update_me(body):
    """修改我的资料

    可改昵称、头像、姓名和所在单位；角色和积分不能在此修改。
    """
    return services.update_profile(services.get_user(current_user_id()), body)


@bp.get("/org-units")
@bp.auth_required(auth)
@bp.input(OrgUnitQuery, location="query", arg_name="query")
@bp.output(OrgUnitOut(many=True))
def org_units(query):
    """单位列表（镇、村、社区、部门）

    默认列出全部单位。区内有多个镇时，可先用 `kind=town` 列出各镇，再用 `town_id` 只列所选镇的单位。
    """
    return tenancy.unit_list(query.get("town_id"), query.get("kind"))


