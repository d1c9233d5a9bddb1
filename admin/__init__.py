"""The admin panel: Flask-Admin for CRUD, in Chinese, with every asset served locally."""
from flask import Blueprint, message_flashed, request, session
from flask_admin import Admin
from flask_admin.contrib.sqla.fields import InlineModelFormList
from wtforms.fields.core import UnboundField
from flask_admin.theme import Bootstrap4Theme
from flask_babel import Babel

from accounts.models import AdminUser, AuditLog, Cadre
from activities.models import Event
from admin.account import AccountView
from admin.archive import ArchiveView
from admin.duties import AnnualReportView, DutyReviewView, PublicityTaskView
from admin.auth import AuthView, DashboardView, load_admin, require_second_factor_setup
from admin.certificates import CertificateListView
from admin.exam_results import CertificateCheckView, ExamResultsView
from admin.event_photos import EventPhotoView
from admin.events import EventView
from admin.exams import ExamView
from admin.imports import ImportView
from admin.mastery import MasteryView
from admin.question_review import ImportHistoryView, PendingQuestionView, RecheckQuestionView
from admin.rankings import RankingView
from admin.residents import ResidentView
from admin.rewards import BooksView, PickupView, RedemptionView, RewardView
from admin.roster import CadreView, RosterImportView
from admin.statutes import SourceCheckView, StatuteView
from admin.views import AdminUserView, AuditLogView, CategoryView, QuestionView
from core.extensions import db, login_manager
from core.timeutil import local_text
from reports.figures import BY_TOWN_NOTE
from points.models import Redemption, Reward
from quiz_bank.exams.models import Exam
from quiz_bank.models import Category, Question, QuestionImport
from reports.models import PublicityTask


# Flask-Admin's zh_Hans_CN catalogue lacks this message, flashed above every form that
# did not validate: the clerk read it in English.
UNTRANSLATED = {"Failed to save record.": "保存失败：请按表单中的提示修改后再保存。"}


def _in_chinese(app, message, category):
    if message in UNTRANSLATED:
        flashes = session["_flashes"]
        flashes[-1] = (category, UNTRANSLATED[message])
        session["_flashes"] = flashes


def init_admin(app) -> set[str]:
    """Build the panel; return the inline event handlers its pages carry (for the CSP)."""
    # Our templates (login, dashboard) sit beside this module.
    app.register_blueprint(Blueprint("panel", __name__, template_folder="templates", static_folder="static",
                                     static_url_path="/admin/panel-static"))
    Babel(app, locale_selector=lambda: "zh_Hans_CN")
    message_flashed.connect(_in_chinese, app)
    app.add_template_filter(local_text, "localtime")
    app.add_template_global(BY_TOWN_NOTE, "by_town_note")
    login_manager.user_loader(load_admin)
    app.before_request(require_second_factor_setup)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "请先登录管理后台。"
    panel = Admin(
        app, name="普法积分管理后台", theme=Bootstrap4Theme(swatch="cerulean", fluid=True),
        index_view=DashboardView(name="首页", url="/admin"),
        csp_nonce_generator=lambda: request.csp_nonce,  # core.security
    )
    panel.add_view(CategoryView(Category, db.session, name="法律分类", category="题库", endpoint="categories"))
    panel.add_view(QuestionView(Question, db.session, name="题目", category="题库", endpoint="questions"))
    panel.add_view(PendingQuestionView(Question, db.session, name="待审核", category="题库", endpoint="pending_questions",
                                       url="/admin/pending-questions"))
    panel.add_view(RecheckQuestionView(Question, db.session, name="待复核", category="题库", endpoint="recheck_questions",
                                       url="/admin/recheck-questions"))
    panel.add_view(StatuteView(name="法规库", category="题库", endpoint="statutes", url="/admin/statutes"))
    panel.add_view(SourceCheckView(name="出处核对", category="题库", endpoint="source_check", url="/admin/source-check"))
    panel.add_view(ImportView(name="导入导出", category="题库", endpoint="imports", url="/admin/import"))
    panel.add_view(ImportHistoryView(QuestionImport, db.session, name="导入记录", category="题库", endpoint="question_imports",
                                     url="/admin/question-imports"))
    panel.add_view(EventView(Event, db.session, name="活动", category="普法活动", endpoint="events"))
    panel.add_view(EventPhotoView(name="活动照片", category="普法活动", endpoint="event_photos", url="/admin/event-photos"))
    panel.add_view(ArchiveView(name="年度档案与统计", category="普法活动", endpoint="archive", url="/admin/archive"))
    panel.add_view(PublicityTaskView(PublicityTask, db.session, name="普法责任任务", category="普法活动", endpoint="publicity_tasks",
                                     url="/admin/publicity-tasks"))
    panel.add_view(DutyReviewView(name="谁执法谁普法考核", category="普法活动", endpoint="duties", url="/admin/duties"))
    panel.add_view(AnnualReportView(name="年度报告", category="普法活动", endpoint="annual_report", url="/admin/annual-report"))
    panel.add_view(ExamView(Exam, db.session, name="考试", category="考试", endpoint="exams"))
    panel.add_view(ExamResultsView(name="成绩统计", category="考试", endpoint="exam_results", url="/admin/exam-results"))
    panel.add_view(CertificateCheckView(name="证书查验", category="考试", endpoint="certificates", url="/admin/certificates"))
    panel.add_view(CertificateListView(name="合格证书", category="考试", endpoint="exam_certificates", url="/admin/exam-certificates"))
    panel.add_view(CadreView(Cadre, db.session, name="干部名册", category="干部", endpoint="cadres"))
    panel.add_view(RosterImportView(name="导入花名册", category="干部", endpoint="roster", url="/admin/roster"))
    panel.add_view(RewardView(Reward, db.session, name="奖品", category="积分商城", endpoint="rewards"))
    panel.add_view(PickupView(name="领取奖品", category="积分商城", endpoint="pickup", url="/admin/pickup"))
    panel.add_view(RedemptionView(Redemption, db.session, name="兑换记录", category="积分商城", endpoint="redemptions"))
    panel.add_view(BooksView(name="积分账目", category="积分商城", endpoint="books", url="/admin/books"))
    panel.add_view(ResidentView(name="居民", category="居民", endpoint="residents", url="/admin/residents"))
    panel.add_view(RankingView(name="排行榜", category="居民", endpoint="rankings", url="/admin/rankings"))
    panel.add_view(MasteryView(name="掌握程度", category="居民", endpoint="mastery", url="/admin/mastery"))
    panel.add_view(AdminUserView(AdminUser, db.session, name="后台账号", category="系统", endpoint="admins"))
    panel.add_view(AuditLogView(AuditLog, db.session, name="操作日志", category="系统", endpoint="audit"))
    panel.add_view(AccountView(name="账号安全", category="系统", endpoint="account", url="/admin/account"))
    panel.add_view(AuthView(name="退出登录", endpoint="auth", url="/admin/auth"))
    return inline_handlers(panel)


def inline_handlers(panel: Admin) -> set[str]:
    """The exact inline script Flask-Admin's templates write: the actions menu, the
    filters, adding a row to an inline list, and its javascript:void(0) links."""
    handlers = {"return false;", "javascript:void(0)"}
    for view in panel._views:
        handlers.update(f"return modelActions.execute('{name}');" for name, _ in getattr(view, "_actions", []))
        form = getattr(view, "_create_form_class", None)
        handlers.update(f"faForm.addInlineField(this, '{name}');" for name, field in vars(form or object).items()
                        if isinstance(field, UnboundField) and issubclass(field.field_class, InlineModelFormList))
    return handlers
