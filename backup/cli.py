"""`flask backup create DIR`, `flask backup restore DIR` and `flask backup prune DIR --keep N`."""
from contextlib import contextmanager

import click
from sqlalchemy.exc import OperationalError

from backup import BackupError, manifest
from backup.database import KINDS


@contextmanager
def _one_line_errors():
    """What went wrong as one Chinese line, not a traceback."""
    try:
        yield
    except BackupError as exc:
        raise click.ClickException(str(exc))
    except OperationalError as exc:
        raise click.ClickException(f"数据库出错（{exc.orig}）：请检查 DATABASE_URL 和数据库服务是否在运行。")
    except OSError as exc:  # a full disk, a directory not writable
        raise click.ClickException(f"读写文件出错：{exc}")


def register(app) -> None:
    group = click.Group("backup", help="Back up the database and uploads, or restore a backup.")
    app.cli.add_command(group)

    @group.command("create")
    @click.argument("directory", type=click.Path(file_okay=False))
    def create(directory):
        """Write a consistent backup into DIRECTORY (new or empty): the database, the uploads, manifest.json."""
        from backup.snapshot import create as make

        with _one_line_errors():
            made = make(directory)
        files = made["files"]
        click.echo(f"备份已写入 {directory}：")
        click.echo(f"  时间：{_beijing(made)}（北京时间），即 UTC {made['created_at']}")
        click.echo(_database_line(made))
        click.echo(_tables_line(made, sum(made["tables"].values())))
        click.echo(f"  上传文件：{made['uploads']['count']} 个，共 {_size(made['uploads']['bytes'])}")
        click.echo(f"  备份共 {len(files) + 1} 个文件，{_size(sum(f['size'] for f in files))}，每个文件的 SHA-256 见 manifest.json。")
        click.echo(f"恢复：flask backup restore {directory}（只恢复到空数据库和空上传目录）。"
                   "请把备份复制到另一台机器或异地保存。")

    @group.command("restore")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False))
    def restore(directory):
        """Restore the backup in DIRECTORY into the configured database and UPLOAD_DIR, both empty; verify checksums before and row counts and the points books after."""
        from backup.restore import restore as put_back

        with _one_line_errors():
            done = put_back(directory)
        made = done.manifest
        click.echo(f"已恢复 {directory}（备份于北京时间 {_beijing(made)}），{len(made['files'])} 个文件的校验值均已核对：")
        click.echo(_database_line(made))
        click.echo(_tables_line(made, done.rows) + "，与备份清单一致")
        click.echo(f"  上传文件：{made['uploads']['count']} 个，共 {_size(made['uploads']['bytes'])}")
        click.echo(f"  积分核对无误：每个人的积分余额都等于其积分明细之和（余额合计 {made['points']['balances']}）。")
        if done.upgrade_to:
            click.echo(f"注意：备份的数据库结构版本是 {made['schema_revision']}，当前程序需要 {done.upgrade_to}："
                       "请运行 flask db upgrade 后再启动服务。")


    @group.command("prune")
    @click.argument("directory", type=click.Path(exists=True, file_okay=False))
    @click.option("--keep", type=int, required=True, help="How many of the newest complete backups to keep (at least 1).")
    def prune(directory, keep):
        """Delete all but the KEEP newest complete backups in DIRECTORY (each a subdirectory whose manifest verifies); anything else there is left alone."""
        from backup.prune import prune as clear

        with _one_line_errors():
            done = clear(directory, keep)
        click.echo(f"{directory}：保留最新的 {len(done.kept)} 份完整备份（--keep {keep}），删除较早的 {len(done.deleted)} 份。")
        for label, names in (("  保留", done.kept), ("  已删除", done.deleted)):
            if names:
                click.echo(f"{label}：{'、'.join(names)}")
        if done.unknown:
            click.echo(f"  未动（没有 {manifest.NAME}：不是备份，或备份尚未完成）：{'、'.join(done.unknown)}")
        if done.damaged:
            for name, why in done.damaged:
                click.echo(f"  未动（备份已损坏）：{name}：{why}")
            raise click.ClickException(f"{len(done.damaged)} 份备份已损坏，未删除：请查看原因，确认后手动处理。")


def _beijing(made: dict) -> str:
    return made["created_at_beijing"][:19].replace("T", " ")


def _database_line(made: dict) -> str:
    database = made["database"]
    return (f"  数据库：{KINDS[database['kind']]} {database['server_version']}（{database['file']}），"
            f"结构版本 {made['schema_revision'] or '未知'}")


def _tables_line(made: dict, rows: int) -> str:
    return f"  数据表：{len(made['tables'])} 张，共 {rows:,} 行"


def _size(count: int) -> str:
    for unit in ("字节", "KB", "MB", "GB"):
        if count < 1024 or unit == "GB":
            return f"{count} {unit}" if unit == "字节" else f"{count:.1f} {unit}"
        count /= 1024
