"""Command-line entry points: `flask create-admin`, `flask seed-demo` (and Flask-Migrate's `flask db`)."""
import click

from accounts.models import ADMIN_ROLES


def register(app) -> None:
    @app.cli.command("create-admin")
    @click.argument("username")
    @click.option("--password", prompt="密码", hide_input=True, confirmation_prompt=True, help="至少 8 位")
    @click.option("--role", type=click.Choice(ADMIN_ROLES), default="admin", show_default=True)
    def create_admin(username, password, role):
        """Create an admin account (or reset its password and role)."""
        from accounts.admins import create_admin as create

        try:
            create(username, password, role)
        except ValueError as exc:
            raise click.BadParameter(str(exc))
        click.echo(f"管理员 {username}（{role}）已保存。")

    @app.cli.command("seed-demo")
    @click.option("--residents", default=300, show_default=True)
    @click.option("--days", default=7, show_default=True, help="days of quiz history to replay")
    def seed_demo(residents, days):
        """Fill the database with a demo town (Faker zh_CN) and the shipped question bank."""
        from demo.seed import seed

        summary = seed(residents=residents, days=days, echo=click.echo)
        click.echo(summary)
