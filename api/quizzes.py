from flask import current_app

from api import bp
from api.auth import auth, current_user_id, per_user
from api.bodies import json_body
from api.idempotency import idempotent
from api.schemas import (
    AnswerIn, AnswerResult, CategoryOut, FinishOut, MasteryOut, QuizIn, QuizListQuery, QuizOut, QuizPage,
    ReviewsOut, WrongAnswerPage, WrongAnswerQuery, page_dict,
)
from core.ratelimit import limiter
from core.timeutil import utcnow
from learning import mastery, reviews
from quiz_bank import questions, quizzes


@bp.get("/categories")
@bp.auth_required(auth)
@bp.output(CategoryOut(many=True))
def categories():
    """法律分类及可用题数"""
    return [
        {"id": c.id, "name": c.name, "description": c.description, "question_count": n}
        for c, n in questions.categories_with_counts()
    ]


@bp.post("/quizzes")
@bp.auth_required(auth)
@idempotent
@bp.input(QuizIn, arg_name="body")
@bp.output(QuizOut, status_code=201, description="新的一组题")
@bp.doc(responses={200: "今天的每日答题已存在，返回它以便继续作答", 400: "请求格式有误", 404: "分类不存在",
                   409: "没有可用的题目；复习模式下今天没有要复习的题（`nothing_to_review`，`details.next_due_at` 为下一次到期时间）"})
def start_quiz(body):
    """开始答题

    `daily` 每人每天一组 5 题（北京时间），含最多 2 道到期的复习题，其余优先出没见过的题；
    `practice` 某一分类 10 题，不限次数；`challenge` 连续答题，答错即结束；
    `review` 间隔复习：今天结束前到期的复习卡片，最多 10 题，最早到期的在前（可按 `category_id` 只复习一个法律）。
    """
    quiz, created = quizzes.start_quiz(current_user_id(), body["mode"], body.get("category_id"))
    return quiz, 201 if created else 200


@bp.get("/quizzes")
@bp.auth_required(auth)
@bp.input(QuizListQuery, location="query", arg_name="query")
@bp.output(QuizPage)
def list_quizzes(query):
    """我的答题记录"""
    return page_dict(quizzes.my_quizzes(current_user_id(), query.get("mode"), query["page"], query["per_page"]))


@bp.get("/quizzes/<int(max=2147483647):quiz_id>")
@bp.auth_required(auth)
@bp.output(QuizOut)
def get_quiz(quiz_id):
    """查看一次答题（含已答题目的结果）"""
    return quizzes.get_quiz(current_user_id(), quiz_id)


@bp.post("/quizzes/<int(max=2147483647):quiz_id>/answers")
@bp.auth_required(auth)
@limiter.limit("RATELIMIT_ANSWER", key=per_user)
@json_body(AnswerIn)
@bp.output(AnswerResult)
@bp.doc(responses={400: "请求格式有误", 404: "答题记录不存在", 409: "已作答、答题已结束或挑战已结束", 429: "作答太频繁"})
def answer(quiz_id, body):
    """提交一道题的答案

    服务器判分，返回正确答案、解析、出处、出处条文原文（法规库收录时）和本题获得的积分。同一道题只能作答一次。
    每次作答都会按 FSRS 更新这道题的复习卡片：答错的题今天再复习，之后按记忆曲线安排。
    """
    result = quizzes.answer(current_user_id(), quiz_id, body["question_id"], body["answer"])
    return current_app.json.response(vars(result))  # its fields are AnswerResult's: no dump needed


@bp.post("/quizzes/<int(max=2147483647):quiz_id>/finish")
@bp.auth_required(auth)
@bp.output(FinishOut)
def finish(quiz_id):
    """结束答题"""
    quiz = quizzes.finish(current_user_id(), quiz_id)
    return {"correct_count": quiz.correct_count, "total": quiz.question_count, "answered_count": quiz.answered_count,
            "points_awarded": quiz.points_awarded, "status": quiz.status}


@bp.get("/wrong-answers")
@bp.auth_required(auth)
@bp.input(WrongAnswerQuery, location="query", arg_name="query")
@bp.output(WrongAnswerPage)
def wrong_answers(query):
    """错题本：答错、复习卡片还没毕业的题，含下次复习时间

    答错的题在之后今天答对一次、隔天再答对一次（卡片进入长期复习）后离开错题本。
    """
    return page_dict(quizzes.wrong_answers(current_user_id(), query.get("category_id"), query["page"], query["per_page"]))


@bp.get("/reviews")
@bp.auth_required(auth)
@bp.output(ReviewsOut)
def review_badge():
    """今天的复习：到期题数、逾期题数、下次到期时间和连续复习天数"""
    return reviews.summary(current_user_id(), utcnow())


@bp.get("/me/mastery")
@bp.auth_required(auth)
@bp.output(MasteryOut(many=True))
def my_mastery():
    """我对各部法律的掌握程度

    `retrievability`：已学题目的平均记忆保持率；`met_share`：学过的题占该法律题目的比例；
    `level`：未学、入门、熟悉或掌握。
    """
    return mastery.of_person(current_user_id(), utcnow())
