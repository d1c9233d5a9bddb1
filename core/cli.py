"""Command-line entry points: `flask create-admin`, `flask seed-demo`, `flask seed-district`, `flask questions`, `flask exams`, `flask figures` (and Flask-Migrate's `flask db`)."""
import sys

import click

from accounts.models import ADMIN_ROLES


def register(app) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--password", prompt="密码", hide_input=True, confirmation_prompt=True, help="至少 10 位，不能是常见密码")
    @click.option("--role", type=click.Choice(ADMIN_ROLES), default="admin", show_default=True)
    @click.option("--town", default=None, help="镇的名称：该镇的账号，只能看到本镇的数据；不填：新账号为区级账号，已有账号不变")
    def create_admin(username, password, role, town):
        """Create an admin account (or reset its password and role)."""
        from accounts.admins import create_admin as create

        try:
            admin = create(username, password, role, town)
        except ValueError as exc:
            raise click.BadParameter(str(exc))
        click.echo(f"管理员 {username}（{admin.town.name if admin.town else '区级'}，{role}）已保存。")

    @app.cli.command("doctor")
    def doctor():
        """Check the deployment: database, migrations, uploads, font, Redis, clock (exit 1 on a problem)."""
        from core.doctor import run_checks

        checks = run_checks()
        for check in checks:
            click.echo(f"[{'正常' if check.ok else '问题'}] {check.name}：{check.detail}")
        failed = sum(not c.ok for c in checks)
        click.echo(f"共 {len(checks)} 项，{failed} 项有问题。" if failed else f"共 {len(checks)} 项，全部正常。")
        if failed:
            sys.exit(1)

    @app.cli.command("seed-demo")
    @click.option("--residents", default=300, show_default=True)
    @click.option("--days", default=7, show_default=True, help="days of quiz history to replay")
    def seed_demo(residents, days):
        """Fill the database with a demo town (Faker zh_CN) and the shipped question bank."""
        from demo.seed import seed

        summary = seed(residents=residents, days=days, echo=click.echo)
        click.echo(summary)

    @app.cli.command("seed-district")
    @click.option("--towns", default=20, show_default=True)
    @click.option("--residents", default=500_000, show_default=True, help="residents registered in a village or community")
    @click.option("--scale", default=1.0, show_default=True, help="multiplies the people and the questions (0.01 for a trial)")
    @click.option("--year", type=int, help="the year of answers (default: this year, up to yesterday)")
    @click.option("--seed", default=19, show_default=True, help="the same seed builds the same district")
    def seed_district(towns, residents, scale, year, seed):
        """Fill the database with a district's data for load tests, in bulk (refuses if it is there already)."""
        from demo.district import AlreadySeeded, seed_district as build

        try:
            click.echo(build(towns=towns, residents=residents, scale=scale, year=year, seed=seed, echo=click.echo))
        except (AlreadySeeded, ValueError) as exc:
            raise click.ClickException(str(exc))

    questions = click.Group("questions", help="Import or export the question bank.")
    app.cli.add_command(questions)

    @questions.command("import")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--only-valid", is_flag=True, help="import the good questions even if others have problems")
    @click.option("--category", help="category for formats that carry none (Aiken)")
    def import_questions(path, only_valid, category):
        """Import FILE (.xlsx .csv .docx .gift .txt .json .yaml)."""
        import os

        from quiz_bank.formats import UnsupportedFormat
        from quiz_bank.importer import apply_import, plan_import

        name = os.path.basename(path)
        try:
            plan = plan_import(name, open(path, "rb").read(), category or os.path.splitext(name)[0])
        except UnsupportedFormat as exc:
            raise click.ClickException(str(exc))
        for note in plan.notes:
            click.echo(note)
        click.echo(plan.summary())
        if plan.exam_only_note():
            click.echo(plan.exam_only_note())
        for problem in plan.problems:
            click.echo(f"  {problem}", err=True)
        if plan.problems and not only_valid:
            raise click.ClickException("文件有问题，未导入任何题目。请修改后重试，或加 --only-valid 只导入没有问题的题目。")
        with click.progressbar(length=len(plan.new), label="导入中") as bar:
            added = apply_import(plan, only_valid=only_valid, progress=bar.update, source=name)
        click.echo(f"已导入 {added} 道题。")
        if plan.pending:
            click.echo(f"其中 {plan.pending} 道缺少出处或出处写法不对，已放入“题库 → 待审核”：补全出处后发布，才会出现在答题和试卷中。")

    @questions.command("export")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    @click.option("--all", "everything", is_flag=True, help="every question: retired and awaiting review too, with its status")
    def export_questions(path, everything):
        """Export the bank to FILE; the format comes from its extension."""
        import os

        from quiz_bank.formats import UnsupportedFormat
        from quiz_bank.importer import export_bank

        try:
            data = export_bank(os.path.basename(path), everything)
        except UnsupportedFormat as exc:
            raise click.ClickException(str(exc))
        with open(path, "wb") as out:
            out.write(data)
        click.echo(f"已导出到 {path}。")

    exams = click.Group("exams", help="The cadres' law exam.")
    app.cli.add_command(exams)

    @exams.command("finalize-expired")
    def finalize_expired():
        """Finalise every attempt whose time ran out, with the answers it saved (schedule it, e.g. every minute)."""
        from quiz_bank.exams.attempts import finalise_expired

        click.echo(f"已按保存的答案自动交卷：{finalise_expired()} 份。")

    @exams.command("draw-papers")
    @click.argument("exam_id", type=int)
    def draw_papers(exam_id):
        """Draw a paper for every cadre assigned to the exam who has none yet (they are also drawn when the exam is saved in the panel)."""
        from core.extensions import db
        from core.transactions import writing
        from quiz_bank.exams import papers
        from quiz_bank.exams.models import Exam

        exam = db.session.get(Exam, exam_id)
        if exam is None:
            raise click.BadParameter(f"考试 {exam_id} 不存在。")
        with writing():
            drawn = papers.draw_ahead(exam)
        click.echo(f"“{exam.title}”：新抽取试卷 {drawn} 份，已备好 {papers.ready_count(exam)} 份。")

    @exams.command("cut-font")
    def cut_font():
        """Cut the certificate font down to the common characters, once, at deploy time (scripts/demo runs it)."""
        from quiz_bank.exams.certificates import cut_common_font

        click.echo(f"证书字体已备好：{cut_common_font()}")

    events = click.Group("events", help="Publicity events.")
    app.cli.add_command(events)

    @events.command("token")
    @click.argument("event_id", type=int)
    def event_token(event_id):
        """Print the event's current check-in code and its QR code (for testing, or staff without a projector)."""
        import segno

        from activities import tokens
        from activities.models import Event
        from core.extensions import db
        from core.timeutil import to_local, utcnow

        event = db.session.get(Event, event_id)
        if event is None:
            raise click.BadParameter(f"活动 {event_id} 不存在。")
        token, until = tokens.issue(event.id, event.token_seconds, utcnow())
        click.echo(f"{event.title}\n签到码：{token}\n有效至：{to_local(until):%H:%M:%S}（过后仍可用 {app.config['CHECKIN_TOKEN_GRACE_SECONDS']} 秒）")
        segno.make(token, error="m").terminal(compact=True)

    rewards = click.Group("rewards", help="The reward shop.")
    app.cli.add_command(rewards)

    @rewards.command("expire")
    def expire_rewards():
        """Refund every redemption not picked up in time (schedule it daily)."""
        from points.rewards import expire_unclaimed

        click.echo(f"已退回逾期未领取的兑换：{expire_unclaimed()} 笔。")

    reminders = click.Group("reminders", help="Reminders by WeChat subscription message.")
    app.cli.add_command(reminders)

    @reminders.command("send")
    def send_reminders():
        """Send every reminder due now, each at most once (schedule it, e.g. every 10 minutes)."""
        from reminders.reasons import REASONS
        from reminders.sending import CannotSend, send_due

        try:
            run = send_due()
        except CannotSend as exc:
            raise click.ClickException(str(exc))
        for problem in run.problems:
            click.echo(problem)
        if run.unconfigured:
            click.echo("未在 WECHAT_TEMPLATES 配置模板，不发送：" + "、".join(f"{REASONS[n].label}（{n}）" for n in run.unconfigured))
        click.echo(f"已发送订阅消息 {run.sent} 条，失败 {len(run.failures)} 条，未收到微信答复 {len(run.unknown)} 条。")
        for failure in run.failures:
            click.echo(f"  {failure}")
        if run.failures:
            click.echo(f"失败的提醒在之后运行时重试，最多重试 {app.config['REMINDER_RETRIES']} 次。")
        for unknown in run.unknown:
            click.echo(f"  {unknown}")
        if run.unknown:
            click.echo("未收到答复的提醒可能已经送达：为免重复发送，不再重试。")

    points = click.Group("points", help="The points books.")
    app.cli.add_command(points)

    @points.command("audit")
    def audit_points():
        """Check that every balance equals the sum of its ledger and none is negative; exit 1 if not."""
        from points.books import audit, totals

        differences = audit()
        figures = totals()
        click.echo(f"积分发放合计 {figures['issued']}，现有余额合计 {figures['outstanding']}，待领取兑换 {figures['pending_redemptions']} 笔。")
        if not differences:
            click.echo("核对无误：每个人的积分余额都等于其积分明细之和，且没有负数。")
            return
        click.echo(f"发现 {len(differences)} 处不一致：")
        for d in differences:
            click.echo(f"  用户 {d.user_id}（{d.name}）：余额 {d.balance}，明细合计 {d.ledger}，差 {d.balance - d.ledger}")
        raise SystemExit(1)

    figures = click.Group("figures", help="The year's figures the panel shows (reports.snapshots).")
    app.cli.add_command(figures)

    @figures.command("refresh")
    def refresh_figures():
        """Recount the year's figures for the district and every town (schedule it nightly)."""
        from reports.snapshots import refresh

        click.echo(f"已重新统计 {refresh(echo=click.echo)} 项年度数据。")

    privacy = click.Group("privacy", help="Personal information (accounts.privacy).")
    app.cli.add_command(privacy)

    @privacy.command("prune-locations")
    @click.option("--days", type=click.IntRange(min=0), default=None,
                  help="Keep locations this many days (default: LOCATION_RETENTION_DAYS).")
    def prune_locations(days):
        """Reduce check-in locations older than the retention period to in or out of range (schedule it daily)."""
        from accounts.privacy import prune_locations as prune

        days = app.config["LOCATION_RETENTION_DAYS"] if days is None else days
        click.echo(f"已将 {days} 天前的 {prune(days)} 条签到位置缩减为“是否在范围内”。")
