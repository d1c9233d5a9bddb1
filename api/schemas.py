"""Marshmallow schemas: the shapes of API.md, and the source of /openapi.json."""
from datetime import date, datetime

from apiflask import Schema
from apiflask.fields import Boolean, DateTime, Dict, Float, Integer, List, Method, Nested, Raw, String
from apiflask.validators import Length, OneOf, Range
from marshmallow import ValidationError

from accounts.models import ORG_KINDS
from activities.geo import COORD_TYPES, WGS84
from api import messages  # noqa: F401  (Chinese validation messages)
from core.timeutil import to_local
from points.leaderboard import PERIODS, SCOPES
from quiz_bank.models import QUESTION_TYPES, QUIZ_MODES

# -- shared ------------------------------------------------------------------------


class LocalDateTime(DateTime):
    """Stored naive UTC, shown in Asia/Shanghai with its offset."""

    def _serialize(self, value, attr, obj, **kwargs):
        return None if value is None else to_local(value).isoformat(timespec="seconds")


MAX_ID = 2**31 - 1


def Id(**kw) -> Integer:
    """A row id: a positive 32-bit integer, so no database sees an out-of-range number."""
    return Integer(strict=True, validate=Range(min=1, max=MAX_ID, error="编号无效。"), **kw)


class Text(String):
    """Text a person typed: no NUL characters (PostgreSQL cannot store them)."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs)
        if "\x00" in text:
            raise ValidationError("包含无效字符。")
        return text


class PageQuery(Schema):
    page = Integer(load_default=1, validate=Range(min=1, max=100_000, error="页码须在 1 到 100000 之间。"))
    per_page = Integer(load_default=20, validate=Range(min=1, max=100, error="每页条数须在 1 到 100 之间。"))


def page_of(item_schema: type[Schema], name: str) -> type[Schema]:
    """A page of items as API.md fixes it: items, page, per_page, total."""
    return type(name, (Schema,), {
        "items": List(Nested(item_schema)), "page": Integer(), "per_page": Integer(), "total": Integer(),
    })


def page_dict(pagination) -> dict:
    return {"items": pagination.items, "page": pagination.page, "per_page": pagination.per_page, "total": pagination.total}


class Error(Schema):
    code = String()
    message = String()
    details = Dict()


# -- accounts ----------------------------------------------------------------------


class OrgUnitRef(Schema):
    id = Integer()
    name = String()


class OrgUnitOut(OrgUnitRef):
    kind = String()
    parent_id = Integer(allow_none=True)
    # The town the unit belongs to (a town's own id): a district's units picked town by town.
    town_id = Integer(metadata={"description": "所属镇的编号（镇本身为自己的编号）"})


class OrgUnitQuery(Schema):
    # Both optional, so the phone may offer a district's units town by town: the towns, then
    # one town's units; without them, every unit (a new resident has none, and people move).
    kind = String(validate=OneOf(ORG_KINDS, error="类型须为 town、village、community 或 department。"),
                  metadata={"description": "只列这一类单位，如 town 只列各镇"})
    town_id = Integer(validate=Range(min=1, max=MAX_ID, error="编号无效。"),
                      metadata={"description": "只列这个镇的单位（含镇本身）"})


class UserOut(Schema):
    id = Integer()
    nickname = String()
    avatar_url = String()
    real_name = String()
    role = String()
    org_unit = Nested(OrgUnitRef, allow_none=True)
    points_balance = Integer()


class LoginIn(Schema):
    code = Text(required=True, validate=Length(min=1, max=128, error="登录凭证长度须在 1 到 128 之间。"))


class LoginOut(Schema):
    token = String()
    expires_in = Integer()
    user = Nested(UserOut)


class ProfileIn(Schema):
    nickname = Text(validate=Length(min=1, max=64, error="昵称长度须在 1 到 64 之间。"))
    avatar_url = Text(validate=Length(max=500, error="头像地址过长。"))
    real_name = Text(validate=Length(max=64, error="姓名过长。"))
    org_unit_id = Id(allow_none=True)


# -- questions and quizzes ------------------------------------------------------------


class CategoryRef(Schema):
    id = Integer()
    name = String()


class CategoryOut(CategoryRef):
    description = String()
    question_count = Integer()


class Option(Schema):
    key = String()
    text = String()


class QuestionPublic(Schema):
    """A question as the phone sees it before answering: no answer, no explanation."""

    id = Integer()
    type = String(validate=OneOf(QUESTION_TYPES))
    stem = String()
    options = List(Nested(Option))
    category = Nested(CategoryRef)


class AnswerResult(Schema):
    correct = Boolean()
    correct_answer = List(String())
    explanation = String()
    source = String()
    points_awarded = Integer()
    quiz_status = String(metadata={"description": "in_progress，或 finished（全部答完，或挑战答错而结束）"})
    article_text = String(allow_none=True, metadata={"description": "出处条文的原文（法规库收录该法律时），否则为 null"})


class QuizOut(Schema):
    id = Integer()
    mode = String()
    status = String()
    category_id = Integer(allow_none=True)
    started_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    question_count = Integer()
    correct_count = Integer()
    points_awarded = Integer()
    questions = Method("get_questions")
    results = Method("get_results")

    def get_questions(self, quiz):
        return QuestionPublic(many=True).dump([i.question for i in quiz.items])

    def get_results(self, quiz):
        return {
            str(i.question_id): {
                "answer": i.answer, "correct": i.correct, "correct_answer": i.question.answer,
                "explanation": i.question.explanation, "source": i.question.source, "points_awarded": i.points_awarded,
            }
            for i in quiz.items if i.answered_at is not None
        }


class QuizSummary(Schema):
    id = Integer()
    mode = String()
    status = String()
    category_id = Integer(allow_none=True)
    started_at = LocalDateTime()
    finished_at = LocalDateTime(allow_none=True)
    question_count = Integer()
    answered_count = Integer()
    correct_count = Integer()
    points_awarded = Integer()


QuizPage = page_of(QuizSummary, "QuizPage")


class QuizIn(Schema):
    # On-site quizzes start from their event (POST /events/{id}/quiz).
    mode = String(required=True, validate=OneOf(tuple(m for m in QUIZ_MODES if m != "event"),
                                                error="答题模式须为 daily、practice、challenge 或 review。"))
    category_id = Id(allow_none=True)


class QuizListQuery(PageQuery):
    mode = String(validate=OneOf(QUIZ_MODES, error="答题模式须为 daily、practice、challenge、event 或 review。"))


class AnswerIn(Schema):
    question_id = Id(required=True)
    answer = List(
        Text(validate=Length(min=1, max=1, error="选项须为单个字母。")), required=True,
        validate=Length(min=1, max=8, error="请选择 1 到 8 个选项。"),
    )


class FinishOut(Schema):
    correct_count = Integer()
    total = Integer()
    answered_count = Integer()
    points_awarded = Integer()
    status = String()


class WrongAnswerOut(Schema):
    question = Nested(QuestionPublic)
    your_answer = List(String(), attribute="last_answer")
    correct_answer = List(String(), attribute="question.answer")
    explanation = String(attribute="question.explanation")
    source = String(attribute="question.source")
    wrong_count = Integer()
    last_wrong_at = LocalDateTime()
    next_review_at = LocalDateTime(allow_none=True, metadata={"description": "下次复习时间（北京时间）"})


WrongAnswerPage = page_of(WrongAnswerOut, "WrongAnswerPage")


class ReviewsOut(Schema):
    due_today = Integer(metadata={"description": "今天结束前到期要复习的题数（含逾期）"})
    overdue = Integer(metadata={"description": "今天之前就已到期、还没复习的题数"})
    next_due_at = LocalDateTime(allow_none=True, metadata={"description": "最早一道题的到期时间；没有复习卡片时为 null"})
    streak_days = Integer(metadata={"description": "连续复习天数（今天还没复习时算到昨天）"})


class MasteryOut(Schema):
    category = Nested(CategoryRef)
    retrievability = Float(allow_none=True, metadata={"description": "已学题目的平均记忆保持率（0–1），未学为 null"})
    met_share = Float(metadata={"description": "已学题目占该法律题目的比例（0–1）"})
    level = String(metadata={"description": "未学、入门、熟悉或掌握"})


class WrongAnswerQuery(PageQuery):
    category_id = Integer(validate=Range(min=1, max=MAX_ID, error="编号无效。"))


# -- points ----------------------------------------------------------------------------


class PointsOut(Schema):
    balance = Integer()
    earned_today = Integer()


class LedgerEntryOut(Schema):
    delta = Integer()
    reason = String()
    note = String()
    created_at = LocalDateTime()
    balance_after = Integer()


LedgerPage = page_of(LedgerEntryOut, "LedgerPage")


class LeaderboardQuery(Schema):
    period = String(load_default="week", validate=OneOf(PERIODS, error="周期须为 week、month、year 或 all。"))
    scope = String(load_default="town", validate=OneOf(SCOPES, error="范围须为 town 或 org_unit。"))
    limit = Integer(load_default=50, validate=Range(min=1, max=100, error="条数须在 1 到 100 之间。"))


class BoardUser(Schema):
    id = Integer()
    nickname = String()
    avatar_url = String()
    org_unit = Nested(OrgUnitRef, allow_none=True)


class BoardRow(Schema):
    rank = Integer()
    user = Nested(BoardUser)
    points = Integer()


class MyRank(Schema):
    rank = Integer(allow_none=True)
    points = Integer()


class LeaderboardOut(Schema):
    period = String()
    scope = String()
    items = List(Nested(BoardRow))
    me = Nested(MyRank)


class Health(Schema):
    status = String()


# -- cadres and exams ------------------------------------------------------------------


class BindingIn(Schema):
    real_name = Text(required=True, validate=Length(min=1, max=64, error="请填写 1 到 64 个字的姓名。"))
    binding_code = Text(required=True, validate=Length(min=1, max=16, error="绑定码为 8 位字母和数字。"))


class ExamOut(Schema):
    id = Integer()
    title = String()
    kind = String(metadata={"description": "annual 年度考试，new_leader 新提拔领导干部任前考试，makeup 补考"})
    opens_at = LocalDateTime()
    closes_at = LocalDateTime()
    duration_minutes = Integer()
    pass_score = Integer()
    total_score = Integer()
    question_count = Integer()
    attempts_allowed = Integer()
    attempts_used = Integer()
    best_score = Integer(allow_none=True)
    status = String(validate=OneOf(("upcoming", "open", "closed")))


class ExamQuestion(QuestionPublic):
    """A question of my paper: options in the order I see them, and its points."""

    points = Integer()


class ReviewItem(Schema):
    question_id = Integer()
    answer = List(String(), allow_none=True, metadata={"description": "我的答案（未作答为 null）"})
    correct_answer = List(String())
    correct = Boolean()
    score = Integer()
    explanation = String()
    source = String()


class AttemptOut(Schema):
    id = Integer()
    exam_id = Integer()
    number = Integer(metadata={"description": "第几次考试"})
    status = String(validate=OneOf(("in_progress", "submitted", "expired")))
    started_at = LocalDateTime()
    deadline = LocalDateTime(metadata={"description": "服务器的截止时间（开始时间加时长，不晚于考试关闭时间）"})
    submitted_at = LocalDateTime(allow_none=True)
    score = Integer(allow_none=True)
    passed = Boolean(allow_none=True)
    total_score = Integer()
    # Built by quiz_bank.exams.attempts.view, in the shapes below.
    questions = Raw(metadata={"description": "试卷：[{id, type, stem, options（按本人看到的顺序和字母）, category: {id, name}, points}]"})
    answers = Raw(metadata={"description": "已保存的答案：{题目 id: [选项字母]}"})
    review = Raw(allow_none=True, metadata={
        "description": "按考试的公布答案规则，交卷后或考试结束后提供；否则为 null。"
                       "[{question_id, answer, correct_answer, correct, score, explanation, source}]"})


class ExamAnswerIn(Schema):
    answer = List(
        Text(validate=Length(min=1, max=1, error="选项须为单个字母。")), required=True,
        validate=Length(min=1, max=8, error="请选择 1 到 8 个选项。"),
    )


class ExamAnswerSaved(Schema):
    question_id = Integer()
    saved_at = LocalDateTime()


class SubmitOut(Schema):
    score = Integer()
    passed = Boolean()
    total_score = Integer()
    submitted_at = LocalDateTime()
    status = String(metadata={"description": "submitted 已交卷；expired 超时，按已保存的答案自动交卷"})
    review = Raw(allow_none=True, metadata={"description": "同开始考试的 review"})


# -- events and check-ins --------------------------------------------------------------


class EventQuery(PageQuery):
    status = String(validate=OneOf(("upcoming", "ongoing", "past"), error="状态须为 upcoming、ongoing 或 past。"))


class EventOut(Schema):
    id = Integer()
    title = String()
    kind = String(metadata={"description": "constitution_day 宪法宣传日，antidrug_day 禁毒日，land_day 土地日，water_week 水法宣传，"
                                          "lecture 法治讲座，outreach 普法宣讲，school 法治进校园，other 其他"})
    kind_label = Method("get_kind_label")
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()
    checkin_opens_at = LocalDateTime()
    checkin_closes_at = LocalDateTime()
    location_name = String()
    latitude = Float(allow_none=True)
    longitude = Float(allow_none=True)
    radius_m = Integer(allow_none=True, metadata={"description": "签到范围（米）；为 null 时不限位置"})
    points = Integer(metadata={"description": "签到积分"})
    org_unit = Nested(OrgUnitRef, metadata={"description": "主办单位"})
    status = String(validate=OneOf(("upcoming", "ongoing", "past")))
    checked_in = Boolean()
    has_quiz = Boolean(metadata={"description": "是否有现场答题（签到后、活动进行期间开放）"})
    description = String()

    def get_kind_label(self, event):
        from activities.models import EVENT_KIND_LABELS

        return EVENT_KIND_LABELS.get(event["kind"], "")


EventPage = page_of(EventOut, "EventPage")


class CheckInIn(Schema):
    token = Text(required=True, validate=Length(min=1, max=64, error="签到码无效。"))
    latitude = Float(allow_none=True, validate=Range(min=-90, max=90, error="纬度须在 -90 到 90 之间。"))
    longitude = Float(allow_none=True, validate=Range(min=-180, max=180, error="经度须在 -180 到 180 之间。"))
    accuracy = Float(allow_none=True, validate=Range(min=0, max=100_000, error="定位精度无效。"),
                     metadata={"description": "wx.getLocation 返回的 accuracy（米）"})
    coord_type = String(load_default=WGS84, validate=OneOf(COORD_TYPES, error="坐标类型须为 wgs84 或 gcj02。"),
                        metadata={"description": "latitude/longitude 的坐标系：wgs84（默认，wx.getLocation 默认返回的 GPS 坐标）"
                                                 "或 gcj02（wx.getLocation 设 type: 'gcj02' 时、或腾讯/高德地图上的坐标）。"
                                                 "两者在国内相差 100–700 米，传错会被判为不在活动地点附近。"})


class CheckInOut(Schema):
    event_id = Integer()
    event_title = Method("get_event_title")
    checked_in_at = LocalDateTime()
    points_awarded = Integer()

    def get_event_title(self, checkin):
        return checkin.event.title


CheckInPage = page_of(CheckInOut, "CheckInPage")


# -- rewards ---------------------------------------------------------------------------


class RewardOut(Schema):
    id = Integer()
    name = String()
    description = String()
    image_url = String(allow_none=True)
    cost = Integer(metadata={"description": "所需积分"})
    stock = Integer()
    per_user_limit = Integer(allow_none=True, metadata={"description": "每人限兑件数；null 为不限"})
    limit_period = String(metadata={"description": "month：每月限兑；all：总共限兑"})
    my_remaining = Integer(allow_none=True, metadata={"description": "我现在还能兑换几件（本限兑周期内）；null 为不限"})
    offered_from = LocalDateTime(allow_none=True)
    offered_until = LocalDateTime(allow_none=True)
    available = Boolean(metadata={"description": "现在可以兑换（在兑换期内、有库存，且我未达到限兑件数）"})


RewardPage = page_of(RewardOut, "RewardPage")


class RedeemIn(Schema):
    reward_id = Id(required=True)


class RewardRef(Schema):
    id = Integer()
    name = String()
    image_url = Method("get_image_url")

    def get_image_url(self, reward):
        from points.rewards import reward_image_url

        return reward_image_url(reward)


class RedemptionOut(Schema):
    id = Integer()
    reward = Nested(RewardRef)
    cost = Integer()
    status = String(metadata={"description": "pending 待领取，handed_over 已领取，cancelled 已取消，expired 逾期未领取（积分已退回）"})
    pickup_code = String(metadata={"description": "领取码：到兑换点出示"})
    pickup_qr = Method("get_pickup_qr", metadata={"description": "领取码的二维码（PNG data URI），仅待领取时提供"})
    created_at = LocalDateTime()
    expires_at = LocalDateTime(metadata={"description": "领取截止时间，过期自动退回积分"})
    handed_over_at = LocalDateTime(allow_none=True)

    def get_pickup_qr(self, redemption):
        from points.rewards import pickup_qr

        return pickup_qr(redemption) if redemption.status == "pending" else None


RedemptionPage = page_of(RedemptionOut, "RedemptionPage")


# -- subscription messages -----------------------------------------------------------


class SubscribeIn(Schema):
    templates = List(String(validate=Length(min=1, max=40)), required=True, validate=Length(max=20),
                     metadata={"description": "wx.requestSubscribeMessage 中用户点了“允许”的模板，用模板名（GET /me/subscriptions 的 name），每个一次"})


class SubscriptionOut(Schema):
    name = String(metadata={"description": "模板名：exam_open 考试开始，exam_closing 考试即将截止，reward_ready 奖品待领取，reward_expiring 奖品即将过期"})
    label = String(metadata={"description": "模板的中文名称"})
    template_id = String(metadata={"description": "微信订阅消息模板 ID：调用 wx.requestSubscribeMessage 时放入 tmplIds"})
    remaining = Integer(metadata={"description": "还可以给我发几条（每次“允许”一条，发一条用一次）；0 为未订阅"})


class SubscriptionsOut(Schema):
    templates = List(Nested(SubscriptionOut), metadata={"description": "可以订阅的全部模板（按我的身份），及各自还可发送的条数"})


# -- personal information (accounts.privacy) ---------------------------------------


def _local_values(value):
    """Times in a nested export in Asia/Shanghai with their offset, dates as ISO dates."""
    if isinstance(value, dict):
        return {k: _local_values(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_local_values(v) for v in value]
    if isinstance(value, datetime):
        return to_local(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


class Exported(Raw):
    """Rows as the database holds them, times shown in Beijing time."""

    def _serialize(self, value, attr, obj, **kwargs):
        return _local_values(value)


class MyDataOut(Schema):
    profile = Exported(metadata={"description": "账号资料：昵称、头像、姓名、角色、积分余额、注册和最近登录时间"})
    org_unit = Exported(allow_none=True, metadata={"description": "所在村、社区或单位"})
    cadre = Exported(allow_none=True, metadata={"description": "绑定的干部花名册记录（姓名、手机号、职务、单位）"})
    points_ledger = List(Exported(), metadata={"description": "积分明细"})
    points_tallies = List(Exported(), metadata={"description": "各排行榜周期的积分"})
    points_daily = List(Exported(), metadata={"description": "每日按规则计入的积分（用于每日上限）"})
    quizzes = List(Exported(), metadata={"description": "答题记录，每组题含题目和我的作答"})
    wrong_answers = List(Exported(), metadata={"description": "错题本"})
    review_cards = List(Exported(), metadata={"description": "间隔复习卡片"})
    review_days = List(Exported(), metadata={"description": "做过复习的日期"})
    seen_questions = List(Integer(), metadata={"description": "出过给我的题目编号"})
    checkins = List(Exported(), metadata={"description": "活动签到，含签到时提交的位置（如仍保存）"})
    photos = List(Exported(), metadata={"description": "我上传的活动照片"})
    redemptions = List(Exported(), metadata={"description": "积分兑换记录"})
    exam_attempts = List(Exported(), metadata={"description": "考试记录，含我的作答"})
    subscription_credits = List(Exported(), metadata={"description": "订阅消息的剩余条数"})
    reminders = List(Exported(), metadata={"description": "发给我的订阅消息"})
