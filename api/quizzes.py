from flask import current_app

from api import bp
from api.auth import auth, current_user_id, per_user
from api.bodies import json_body
from api.idempotency import idempotent
from api.schemas import (
    AnswerIn, AnswerResult, CategoryOut, FinishOut, QuizIn, QuizListQuery, QuizOut, QuizPage,
    WrongAnswerPage, WrongAnswerQuery, page_dict,
)
from core.ratelimit import limiter
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
@bp.doc(responses={200: "今天的每日答题已存在，返回它以便继续作答", 400: "请求格式有误", 404: "分类不存在", 409: "没有可用的题目"})
def start_quiz(body):
    """开始答题

    `daily` 每人每天一组 5 题（北京时间），优先出没见过的题；`practice` 某一分类 10 题，不限次数；
    `challenge` 连续答题，答错即结束。
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

    服务器判分，返回正确答案、解析、出处和本题获得的积分。同一道题只能作答一次。
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
    """错题本：答错且之后还没答对的题"""
    return page_dict(quizzes.wrong_answers(current_user_id(), query.get("category_id"), query["page"], query["per_page"]))
