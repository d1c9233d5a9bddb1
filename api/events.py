from activities import checkins, events
from api import bp
from api.auth import auth, current_user_id
from api.idempotency import idempotent
from api.schemas import CheckInIn, CheckInOut, CheckInPage, EventPage, EventQuery, PageQuery, QuizOut, page_dict

ID = "int(max=2147483647)"


@bp.get("/events")
@bp.auth_required(auth)
@bp.input(EventQuery, location="query", arg_name="query")
@bp.output(EventPage)
def list_events(query):
    """普法活动（即将开始、进行中或已结束）"""
    return events.events_page(current_user_id(), query.get("status"), query["page"], query["per_page"])


@bp.post("/checkins")
@bp.auth_required(auth)
@idempotent
@bp.input(CheckInIn, arg_name="body")
@bp.output(CheckInOut, status_code=201)
@bp.doc(responses={400: "请求格式有误", 403: "不在活动地点附近（out_of_range）", 409: "已签到（already_checked_in），或不在签到时间内",
                   410: "签到码已过期（token_expired）"})
def check_in(body):
    """活动签到

    扫描活动现场大屏上的动态二维码，带上 `wx.getLocation` 的位置和精度。位置默认按 WGS-84
    （`wx.getLocation` 的默认坐标）；用 `type: 'gcj02'` 取得的位置请同时传 `coord_type: "gcj02"`。
    签到码约 30 秒更换一次，过期的截图无效；每人每场活动只能签到一次。
    """
    return checkins.check_in(current_user_id(), body["token"], body.get("latitude"), body.get("longitude"), body.get("accuracy"),
                             coord_type=body["coord_type"])


@bp.get("/checkins")
@bp.auth_required(auth)
@bp.input(PageQuery, location="query", arg_name="query")
@bp.output(CheckInPage)
def my_checkins(query):
    """我的签到记录"""
    return page_dict(checkins.my_checkins(current_user_id(), query["page"], query["per_page"]))


@bp.post(f"/events/<{ID}:event_id>/quiz")
@bp.auth_required(auth)
@bp.output(QuizOut, status_code=201, description="新的现场答题")
@bp.doc(responses={200: "已开始过，返回它以便继续作答", 403: "尚未签到（not_checked_in）", 404: "活动不存在",
                   409: "活动没有现场答题，或不在活动进行期间"})
def start_event_quiz(event_id):
    """开始现场答题

    仅限已签到的人、仅在活动进行期间；每人每场一次。作答用 `POST /quizzes/{id}/answers`，答对按活动设定得分。
    """
    quiz, created = events.start_event_quiz(current_user_id(), event_id)
    return quiz, 201 if created else 200
