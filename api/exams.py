from flask import Response

from accounts import roster, services
from api import bp
from api.auth import auth, current_user_id, per_user
from api.idempotency import idempotent
from api.schemas import AttemptOut, BindingIn, ExamAnswerIn, ExamAnswerSaved, ExamOut, SubmitOut, UserOut
from core.ratelimit import limiter
from quiz_bank.exams import attempts, certificates

ID = "int(max=2147483647)"


@bp.post("/me/cadre-binding")
@bp.auth_required(auth)
@limiter.limit("RATELIMIT_BINDING", key=per_user)
@bp.input(BindingIn, arg_name="body")
@bp.output(UserOut)
@bp.doc(responses={400: "请求格式有误", 409: "绑定码已被使用，或此账号已绑定其他干部", 429: "尝试太频繁"})
def bind_cadre(body):
    """绑定干部身份

    填写姓名和管理员发放的绑定码；与干部花名册一致时成为干部。一个绑定码只能绑定一次。
    """
    return roster.bind(services.get_user(current_user_id()), body["real_name"], body["binding_code"])


@bp.get("/exams")
@bp.auth_required(auth)
@bp.output(ExamOut(many=True))
def exams():
    """安排给我的考试"""
    return attempts.my_exams(current_user_id())


@bp.post(f"/exams/<{ID}:exam_id>/attempts")
@bp.auth_required(auth)
@bp.output(AttemptOut, status_code=201, description="新的一次考试（各人试卷按规则随机抽取）")
@bp.doc(responses={200: "有未交卷的考试，返回它和已保存的答案（断线后继续）", 403: "不是干部，或没有安排参加这场考试",
                   404: "考试不存在", 409: "考试未开放或已结束、次数已用完"})
def start_attempt(exam_id):
    """开始考试（或继续未交卷的考试）"""
    attempt, created = attempts.start(current_user_id(), exam_id)
    return attempt, 201 if created else 200


@bp.put(f"/exam-attempts/<{ID}:attempt_id>/answers/<{ID}:question_id>")
@bp.auth_required(auth)
@bp.input(ExamAnswerIn, arg_name="body")
@bp.output(ExamAnswerSaved)
@bp.doc(responses={400: "请求格式有误", 404: "考试记录不存在", 409: "考试时间已到（time_over）或已交卷"})
def save_answer(attempt_id, question_id, body):
    """保存一道题的答案

    立即保存，可以修改；不返回对错。超过截止时间返回 409 `time_over`。
    """
    return attempts.save_answer(current_user_id(), attempt_id, question_id, body["answer"])


@bp.post(f"/exam-attempts/<{ID}:attempt_id>/submit")
@bp.auth_required(auth)
@idempotent
@bp.output(SubmitOut)
@bp.doc(responses={404: "考试记录不存在"})
def submit(attempt_id):
    """交卷

    服务器判分。重复交卷返回同样的结果。考试公布答案的规则允许时附带答案解析。
    """
    return attempts.view(attempts.submit(current_user_id(), attempt_id))


@bp.get(f"/exam-attempts/<{ID}:attempt_id>")
@bp.auth_required(auth)
@bp.output(AttemptOut)
@bp.doc(responses={404: "考试记录不存在"})
def get_attempt(attempt_id):
    """查看一次考试：状态、已保存的答案，以及按规则公布的答案解析"""
    return attempts.view(attempts.get_attempt(current_user_id(), attempt_id))


@bp.get(f"/exam-attempts/<{ID}:attempt_id>/certificate")
@bp.auth_required(auth)
@bp.doc(responses={200: {"description": "合格证书（PDF）", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                   404: "考试记录不存在", 409: "未通过考试，没有证书"})
def certificate(attempt_id):
    """下载合格证书（PDF）"""
    attempt = attempts.get_attempt(current_user_id(), attempt_id)
    cert, pdf = certificates.certificate_pdf(attempt)
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f"attachment; filename=certificate-{cert.serial}.pdf",
    })
