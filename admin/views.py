"""Admin CRUD views. Changes go through the domain services, and every one is audited."""
from datetime import timedelta

from flask import abort, flash, g, request
from flask_admin import expose
from flask_admin.actions import action
from flask_admin.contrib.sqla import ModelView
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.contrib.sqla.fields import QuerySelectField
from flask_admin.contrib.sqla.filters import DateBetweenFilter, FilterEqual, IntEqualFilter
from flask_admin.model.ajax import DEFAULT_PAGE_SIZE
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import or_, select
from wtforms import BooleanField, IntegerField, PasswordField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from accounts import admins, audit, tenancy
from accounts.models import ADMIN_ROLE_LABELS, AdminUser, AuditLog
from admin.auth import StaffOnly, forbidden, has_role
from admin.tenancy import keep_choices_in_town, pick_label, viewer_town
from core.extensions import db
from core.transactions import writes, writing
from core.timeutil import from_local, local_midnight_utc, local_naive, local_text
from quiz_bank import questions as question_service
from quiz_bank.models import STATUS_LABELS, TYPE_LABELS, Category, Question

ACTION_LABELS = audit.ACTION_LABELS
# What each recorded object is called: every entity passed to audit.record, and the table
# of every panel view that audits its saves (SecureModelView._audit).
ENTITY_LABELS = {
    "category": "法律分类", "question": "题目", "question_import": "题库导入", "admin_user": "后台账号",
    "admin_session": "后台登录", "event": "活动", "event_photo": "活动照片", "exam": "考试", "cadre": "干部",
    "reward": "奖品", "redemption": "兑换记录", "publicity_task": "普法责任任务", "statute": "法规库",
    "app_user": "居民", "ranking": "排行榜", "certificate": "合格证书",
}
# How a 判断题's answer (T/F inside the app) reads in the panel.
TRUE_FALSE_WORDS = {"T": "对", "F": "错"}


def answer_words(question) -> str:
    """A question's answer as the clerk writes it: 对/错 for a 判断题, the letters otherwise."""
    if question.type == "true_false":
        return "".join(TRUE_FALSE_WORDS.get(a, a) for a in question.answer)
    return "".join(question.answer)


def _options(view, context, model, name):
    if model.type == "true_false":  # its options are fixed: what the answer can be
        return "对 / 错"
    return Markup("<br>").join(f"{o['key']}. {o['text']}" for o in model.options)


def _local_time(view, context, model, name):
    return local_text(getattr(model, name))


def _yes_no(view, context, model, name):
    return "是" if getattr(model, name) else "否"


class LocalDateBetween(DateBetweenFilter):
    """A date range as the clerk means it: whole Beijing days, both ends included (the
    database keeps UTC, so a plain date comparison would cut the days at 08:00)."""

    def apply(self, query, value, alias=None):
        start, end = value
        column = self.get_column(alias)
        return query.filter(column >= local_midnight_utc(start), column < local_midnight_utc(end + timedelta(days=1)))


EXAM_ONLY = "仅用于考试"


class SecureModelView(StaffOnly, ModelView):
    """Staff only; `editors` may change, everyone signed in may read. A model that
    belongs to a town (accounts.tenancy) shows a town's staff only their town's rows:
    the list, its count and export, the row opened by id (another town's is not found),
    the pick lists of its forms and the ajax look-ups all go through the scope here."""

    editors: tuple[str, ...] = ("admin",)
    form_base_class = FlaskForm
    page_size = 50
    can_view_details = True
    can_export = False

    @property
    def can_create(self):
        return has_role(*self.editors)

    @property
    def can_edit(self):
        return has_role(*self.editors)

    can_delete = False

    # -- towns -------------------------------------------------------------------------
    def _town_scoped(self, query):
        # Models of no town (the question bank, shared by the district) are left whole.
        return tenancy.scope(query, self.model, viewer_town())

    def get_query(self):
        return self._town_scoped(super().get_query())

    def get_count_query(self):
        return self._town_scoped(super().get_count_query())

    def get_one(self, id):
        model = super().get_one(id)
        if model is not None and tenancy.has_town(self.model) and not tenancy.belongs(model, viewer_town()):
            abort(404)
        return model

    def _create_ajax_loader(self, name, options):
        loader = super()._create_ajax_loader(name, options)
        return TownAjaxLoader(name, self.session, loader.model, **options)

    def create_form(self, obj=None):
        form = super().create_form(obj)
        keep_choices_in_town(form)
        return form

    def edit_form(self, obj=None):
        # Flask-Admin's unique checks (a cadre's phone, a law's name) know the row being
        # edited by form._obj, which only its own BaseForm sets (ours is FlaskForm, for
        # CSRF): without it, saving a row with its unique fields unchanged failed as 已经存在.
        form = super().edit_form(obj)
        form._obj = obj
        keep_choices_in_town(form)
        return form

    # Flask-Admin would quietly redirect a reader away from these; say why instead.
    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            return forbidden()
        return super().create_view()

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        if not self.can_edit:
            return forbidden()
        return super().edit_view()

    # A domain function raising ValueError (a Chinese message) for a model not fit to
    # save; the rule lives in the domain, the panel only reports it.
    domain_check = None

    def on_model_change(self, form, model, is_created):
        if self.domain_check is not None:
            try:
                self.domain_check(model)
            except ValueError as exc:
                raise ValidationError(str(exc))

    def audit_summary(self, form, model, is_created) -> str:
        """What the audit log says of a saved row."""
        return str(model)

    # Flask-Admin's saves, each one unit of work (it commits inside; the unit bounds the lock).
    @writes
    def create_model(self, form):
        return super().create_model(form)

    @writes
    def update_model(self, form, model):
        return super().update_model(form, model)

    @writes
    def delete_model(self, model):
        return super().delete_model(model)

    def _on_model_change(self, form, model, is_created):
        # Flask-Admin calls this just before its commit: the audit entry goes into the
        # same transaction as the change (flushed first, so a new row has its id).
        super()._on_model_change(form, model, is_created)
        db.session.flush()
        self._audit("create" if is_created else "update", model, self.audit_summary(form, model, is_created))

    def _audit(self, action_name: str, model, summary: str = "") -> None:
        audit.record(current_user.id, action_name, self.model.__tablename__, model.id, summary)


def asked_page(param: str = "page") -> int:
    """The page number the query argument `param` asks for: 1 when absent, not a number or below 1."""
    return max(request.args.get(param, 1, type=int) or 1, 1)


class TownAjaxLoader(QueryAjaxModelLoader):
    """An ajax pick list (an exam's cadres): a search box, never a list of everyone. A
    town's staff find and post only their town's rows (the look-up and each posted id are
    read through the town's scope, in SQL). A look-up answers at most `page_size` rows,
    whatever `limit` the request asks, in a stable order (by the `order_by` option, then
    the id), each named by admin.tenancy.pick_label."""

    def get_query(self):
        return tenancy.scope(super().get_query(), self.model, viewer_town())

    def get_list(self, term, offset=0, limit=DEFAULT_PAGE_SIZE):
        limit = max(min(limit or DEFAULT_PAGE_SIZE, self.options.get("page_size", DEFAULT_PAGE_SIZE)), 1)
        # LIKE, not Flask-Admin's ILIKE: names are Chinese and phones digits, and PostgreSQL
        # runs it ~10x faster (a district's 5,100 cadres: 0.8 ms against 12 ms).
        found = or_(*(field.contains(term or "", autoescape=True) for field in self._cached_fields))
        order = [self.order_by] if self.order_by is not None else []
        return (self.get_query().filter(found).order_by(*order, getattr(self.model, self.pk))
                .offset(max(offset or 0, 0)).limit(limit).all())

    def format(self, model):
        return None if model is None else (getattr(model, self.pk), pick_label(model))

    def get_one(self, pk):
        if viewer_town() is None:
            return super().get_one(pk)
        try:
            pk = int(pk)  # posted as text; the ids of the panel's models are integers
        except (TypeError, ValueError):
            return None
        with db.session.no_autoflush:  # as Flask-Admin's: a form being filled in is not flushed
            return self.get_query().filter(getattr(self.model, self.pk) == pk).one_or_none()


class LocalTimesMixin:
    """Times typed and shown in the panel are Beijing time; the database keeps UTC."""

    local_time_fields: tuple[str, ...] = ()

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        for name in self.local_time_fields:
            getattr(form, name).data = local_naive(getattr(model, name))

    def on_model_change(self, form, model, is_created):
        for name in self.local_time_fields:
            setattr(model, name, from_local(getattr(form, name).data))
        super().on_model_change(form, model, is_created)


class CategoryView(SecureModelView):
    editors = ("admin", "editor")
    column_list = ("id", "name", "slug", "description", "sort_order", "exam_only", "quiz_questions", "exam_only_questions")
    column_labels = {"id": "编号", "name": "名称", "slug": "代码", "description": "说明", "sort_order": "排序", "exam_only": EXAM_ONLY,
                     "quiz_questions": "可用于答题的题目", "exam_only_questions": "仅用于考试的题目"}
    column_searchable_list = ("name",)
    column_filters = ("exam_only",)
    column_formatters = {"exam_only": _yes_no}
    form_columns = ("name", "slug", "description", "sort_order", "exam_only")
    form_args = {"exam_only": {"description": "勾选后，这部法律的题目只出现在考试试卷中：不用于每日答题、专项练习、挑战和现场答题，"
                                              "不进入错题本，也不在小程序的练习分类中列出"}}

    def audit_summary(self, form, model, is_created) -> str:
        return f"分类：{model.name}" + (f"（{EXAM_ONLY}）" if model.exam_only else "")


class QuestionForm(FlaskForm):
    category = QuerySelectField("分类", query_factory=lambda: db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all(),
                                validators=[DataRequired("请选择分类")])
    type = SelectField("题型", choices=list(TYPE_LABELS.items()))
    stem = TextAreaField("题干", validators=[DataRequired("请输入题干"), Length(max=2000)])
    option_a = StringField("选项A", validators=[Optional()])
    option_b = StringField("选项B", validators=[Optional()])
    option_c = StringField("选项C", validators=[Optional()])
    option_d = StringField("选项D", validators=[Optional()])
    option_e = StringField("选项E", validators=[Optional()])
    option_f = StringField("选项F", validators=[Optional()])
    option_g = StringField("选项G", validators=[Optional()])
    option_h = StringField("选项H", validators=[Optional()])
    answer = StringField("答案", description="如 B、ABD、A,B,D；判断题填 对/错 或 正确/错误", validators=[DataRequired("请输入答案")])
    explanation = TextAreaField("解析")
    source = StringField("出处", description="如《民法典》第一千零七十九条", validators=[DataRequired("请输入出处")])
    difficulty = IntegerField("难度", default=1, validators=[NumberRange(1, 3, "难度须为 1 到 3")])
    status = SelectField("状态", choices=list(STATUS_LABELS.items()), default="active")
    exam_only = BooleanField(EXAM_ONLY, description="勾选后只出现在考试试卷中：不用于每日答题、专项练习、挑战和现场答题，不进入错题本。"
                                                    "已有人作答的题也可以直接勾选，不会生成新版本")


OPTION_FIELDS = [f"option_{k.lower()}" for k in question_service.OPTION_KEYS]


def _form_to_data(form: QuestionForm) -> dict:
    options = [{"key": f[-1].upper(), "text": getattr(form, f).data or ""} for f in OPTION_FIELDS]
    return {
        "category_id": form.category.data.id if form.category.data else None, "type": form.type.data,
        "stem": form.stem.data, "options": options, "answer": question_service.parse_answer(form.answer.data, form.type.data),
        "explanation": form.explanation.data, "source": form.source.data, "difficulty": form.difficulty.data,
        "exam_only": form.exam_only.data,
    }


class QuestionView(SecureModelView):
    editors = ("admin", "editor")
    form = QuestionForm
    column_list = ("id", "category", "type", "stem", "answer", "source", "difficulty", "status", "exam_only", "version", "updated_at")
    column_details_list = column_list + ("options", "explanation", "previous_id", "created_at")
    column_labels = {
        "id": "编号", "category": "分类", "category.name": "分类", "type": "题型", "stem": "题干", "answer": "答案",
        "source": "出处", "difficulty": "难度", "status": "状态", "version": "版本", "updated_at": "更新时间",
        "options": "选项", "explanation": "解析", "previous_id": "上一版本", "created_at": "创建时间", "exam_only": EXAM_ONLY,
    }
    column_searchable_list = ("stem", "source")
    column_filters = ("category.name", "type", "status", "exam_only", "difficulty")
    column_choices = {"type": list(TYPE_LABELS.items()), "status": list(STATUS_LABELS.items())}
    column_default_sort = ("id", True)
    column_formatters = {
        "stem": lambda v, c, m, n: (m.stem[:60] + "…") if len(m.stem) > 60 else m.stem,
        "answer": lambda v, c, m, n: answer_words(m),
        "options": _options,
        "updated_at": _local_time,
        "created_at": _local_time,
        "exam_only": _yes_no,
    }

    def on_form_prefill(self, form, id):
        model = self.get_one(id)
        for option in model.options:
            field = getattr(form, f"option_{option['key'].lower()}", None)
            if field is not None and model.type != "true_false":
                field.data = option["text"]
        form.answer.data = answer_words(model)
        if model.status == "recheck":
            form.status.data = "active"  # saving the form is the editor's check: offer 启用

    def _save(self, form, model=None):
        data = _form_to_data(form)
        try:
            with writing():
                if model is None:
                    question = question_service.create_question(data)
                    marked = f"（{EXAM_ONLY}）" if question.exam_only else ""
                    self._audit("create", question, f"新建题目{marked}：{question.stem[:80]}")
                else:
                    question = question_service.edit_question(model, data)
                    if question is not model:
                        # "Save and continue editing" must reopen the new version, not the retired one.
                        g.newer_version = {model.id: question.id}
                        self._audit("new_version", question, f"题目 {model.id} 已有人作答，修改保存为新版本 {question.id}，原版本停用")
                        flash(f"该题已有人作答，修改已保存为新版本（编号 {question.id}），原题已停用。", "info")
                    else:
                        self._audit("update", question, f"修改题目：{question.stem[:80]}")
                if form.status.data != question.status:
                    question_service.set_status(question, form.status.data)
                    self._audit("retire" if form.status.data == "retired" else "update", question, f"状态改为{STATUS_LABELS[form.status.data]}")
                if form.exam_only.data != question.exam_only:
                    # Where the question is served, not what it asks: the same row, no new version.
                    question_service.set_exam_only(question, form.exam_only.data)
                    self._audit("update", question, f"设为{EXAM_ONLY}" if form.exam_only.data else f"取消{EXAM_ONLY}")
            return question
        except question_service.QuestionInvalid as exc:
            for problem in exc.problems:
                flash(problem, "error")
            return False

    def get_pk_value(self, model):
        return g.get("newer_version", {}).get(model.id, model.id)

    def create_model(self, form):
        return self._save(form)

    def update_model(self, form, model):
        return bool(self._save(form, model))

    @action("retire", "停用", "确定停用所选题目吗？停用后不再出现在新的答题中。")
    @writes
    def action_retire(self, ids):
        if not has_role(*self.editors):
            flash("当前账号没有权限停用题目。", "error")
            return
        retired = 0
        for question in db.session.scalars(select(Question).where(Question.id.in_([int(i) for i in ids]))):
            if question.status != "retired":
                question_service.set_status(question, "retired")
                self._audit("retire", question, "停用题目")
                retired += 1
        flash(f"已停用 {retired} 道题目。", "success")

    def is_action_allowed(self, name):
        return has_role(*self.editors) and super().is_action_allowed(name)


class _AdminAccounts:
    """The operator filter's choices, read each time the filter menu is drawn: Flask-Admin
    keeps a filter's options from start-up, so accounts added later would be missing."""

    def __iter__(self):
        rows = db.session.execute(tenancy.scope(select(AdminUser.id, AdminUser.username), AdminUser, viewer_town())
                                  .order_by(AdminUser.username))
        return iter([(str(i), name) for i, name in rows])


class AuditLogView(SecureModelView):
    readers = ("admin", "reviewer")
    editors = ()
    column_list = ("created_at", "admin", "action", "entity", "entity_id", "summary")
    column_labels = {"created_at": "时间", "admin": "操作人", "action": "操作", "entity": "对象", "entity_id": "编号", "summary": "内容"}
    column_default_sort = ("id", True)
    column_searchable_list = ("summary",)
    column_filters = (
        IntEqualFilter(AuditLog.admin_id, "操作人", options=_AdminAccounts()),
        FilterEqual(AuditLog.action, "操作", options=list(ACTION_LABELS.items())),
        FilterEqual(AuditLog.entity, "对象", options=list(ENTITY_LABELS.items())),
        LocalDateBetween(AuditLog.created_at, "日期"),
    )
    column_formatters = {
        "created_at": _local_time,
        # A failed login has no account behind it (the summary names what was typed).
        "admin": lambda v, c, m, n: m.admin.username if m.admin else "—",
        "action": lambda v, c, m, n: ACTION_LABELS.get(m.action, m.action),
        "entity": lambda v, c, m, n: ENTITY_LABELS.get(m.entity, m.entity),
    }


def _town_or_none(value):
    return int(value) if str(value).isdigit() else None


class AdminUserForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=64)])
    role = SelectField("角色", choices=list(ADMIN_ROLE_LABELS.items()))
    # Choices per request (AdminUserView._towns): a town's admin is offered only their town.
    town_id = SelectField("所属", coerce=_town_or_none, choices=[], validate_choice=True,
                          description="区级账号能看到所有镇的数据；镇级账号只能看到本镇的数据")
    active = BooleanField("启用", default=True)
    password = PasswordField("新密码", description=f"新建时必填；修改时留空则不改。至少 {admins.PASSWORD_MIN_LENGTH} 位，不能是常见密码",
                             validators=[Optional()])

    def validate_password(self, field):
        if field.data and (problem := admins.password_problem(field.data, self.username.data or "")):
            raise ValidationError(problem)


class AdminUserView(SecureModelView):
    readers = ("admin",)
    form = AdminUserForm
    column_list = ("username", "role", "town", "active", "created_at")
    column_labels = {"username": "用户名", "role": "角色", "town": "所属", "active": "启用", "created_at": "创建时间"}
    column_choices = {"role": list(ADMIN_ROLE_LABELS.items())}
    column_filters = ("role", "active")
    column_formatters = {"created_at": _local_time, "active": _yes_no,
                         "town": lambda v, c, m, n: m.town.name if m.town else f"{tenancy.DISTRICT}（区级）"}
    can_view_details = False

    def _towns(self, form):
        towns = [(str(t.id), t.name) for t in tenancy.towns() if viewer_town() in (None, t.id)]
        form.town_id.choices = ([("", f"{tenancy.DISTRICT}（区级）")] if viewer_town() is None else []) + towns
        return form

    def create_form(self, obj=None):
        return self._towns(super().create_form(obj))

    def edit_form(self, obj=None):
        return self._towns(super().edit_form(obj))

    def on_model_change(self, form, model, is_created):
        # The form offers a town's admin only their town; this holds whatever is posted.
        # (No autoflush: reading the signed-in account must not save the half-made one.)
        with db.session.no_autoflush:
            try:
                tenancy.check_account_change(current_user, model.town_id)
            except tenancy.NotYours as exc:
                raise ValidationError(str(exc))
        if is_created and not form.password.data:
            raise ValidationError("新建账号须设置密码。")
        if form.password.data:
            model.set_password(form.password.data)

    def audit_summary(self, form, model, is_created) -> str:
        changed = "，已重设密码" if form.password.data and not is_created else ""
        return f"账号 {model.username}，{tenancy.town_name(model.town_id)}，角色 {ADMIN_ROLE_LABELS[model.role]}{changed}"
