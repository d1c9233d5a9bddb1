"""个人信息: what is held about me (GET /me/data) and deleting my account (DELETE /me),
as 个人信息保护法 gives a person the rights of access and erasure."""
from accounts import privacy
from api import bp
from api.auth import auth, current_user_id
from api.schemas import MyDataOut
from core.domain_errors import Unauthenticated


@bp.get("/me/data")
@bp.auth_required(auth)
@bp.output(MyDataOut)
def my_data():
    """我的个人信息（导出）

    本系统保存的关于我的全部信息：资料、单位、干部花名册记录、积分明细、答题及作答、错题本、复习卡片、
    签到（含仍保存的位置）、上传的照片、兑换、考试及作答、订阅消息。时间为北京时间。
    """
    data = privacy.export(current_user_id())
    if data is None:
        raise Unauthenticated("登录已失效，请重新登录。")
    return data


@bp.delete("/me")
@bp.auth_required(auth)
@bp.output({}, status_code=204, description="账号已注销")
def delete_me():
    """注销账号

    删除我的身份信息（姓名、昵称、头像、微信标识、手机号绑定、签到位置、订阅），待领取的兑换取消并退回积分；
    不含身份的记录（积分流水、答题、签到人次、考试成绩）匿名保留，以保证统计真实。令牌立即失效；
    同一微信再次登录得到一个新的空账号。重复请求返回 204 或 401。
    """
    privacy.delete_account(current_user_id())
    return ""
