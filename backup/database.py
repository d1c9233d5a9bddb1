"""The configured database as a backup sees it: its kind, the PostgreSQL tools that
match its server, its address without the password, and the facts a manifest records
(every table's row count, the schema revision, the points totals)."""
import os
import shutil

from sqlalchemy import func, inspect, select, table, text
from sqlalchemy.engine import URL

from accounts.models import User
from backup import BackupError
from points.models import PointsEntry

KINDS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def kind(engine) -> str:
    name = engine.dialect.name
    if name not in KINDS:
        raise BackupError(f"不支持备份 {name} 数据库，只支持 PostgreSQL 和 SQLite。")
    return name


def server_version(conn) -> str:
    if conn.dialect.name == "postgresql":
        return conn.execute(text("SHOW server_version")).scalar().split()[0]
    return conn.execute(text("SELECT sqlite_version()")).scalar()


def pg_tool(conn, name: str) -> str:
    """pg_dump or pg_restore of the server's major version (Debian keeps each version's
    under /usr/lib/postgresql/<major>/bin), else the one on PATH."""
    major = int(conn.execute(text("SHOW server_version_num")).scalar()) // 10000
    candidate = f"/usr/lib/postgresql/{major}/bin/{name}"
    if os.access(candidate, os.X_OK):
        return candidate
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"找不到 {name}：请安装 postgresql-client-{major}（数据库服务器是 PostgreSQL {major}）。")
    return found


def libpq_address(url: URL) -> tuple[str, dict]:
    """The address for --dbname, without the password (a command's arguments are
    visible to every user in `ps`), and an environment carrying it in PGPASSWORD."""
    address = URL.create("postgresql", url.username, None, url.host, url.port, url.database, url.query)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    return address.render_as_string(hide_password=False), env


def facts(conn) -> dict:
    """What a manifest records of the database, read on `conn` (inside the snapshot's
    transaction when making a backup, so that they describe exactly what was copied)."""
    names = sorted(inspect(conn).get_table_names())
    revision = None
    if "alembic_version" in names:
        revision = ", ".join(sorted(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())) or None
    return {
        "schema_revision": revision,
        "tables": {name: conn.execute(select(func.count()).select_from(table(name))).scalar() for name in names},
        "points": {
            "balances": conn.execute(select(func.coalesce(func.sum(User.points_balance), 0))).scalar(),
            "ledger": conn.execute(select(func.coalesce(func.sum(PointsEntry.delta), 0))).scalar(),
        },
    }


def existing_objects(conn) -> list[str]:
    """A few of the tables, views or sequences already in the database (none: it is empty)."""
    if conn.dialect.name == "postgresql":
        query = ("SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                 "WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
                 "AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%' ORDER BY 1 LIMIT 5")
    else:
        query = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') ORDER BY name LIMIT 5"
    return list(conn.execute(text(query)).scalars())
