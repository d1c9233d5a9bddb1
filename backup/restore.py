"""`flask backup restore DIR`: into an empty database and an empty upload directory
only, after every file's checksum is verified; then the restored data is held to the
manifest and to the points books."""
import os
import subprocess
from dataclasses import dataclass

from alembic.script import ScriptDirectory
from flask import current_app

from backup import BackupError, database, manifest
from core.extensions import db
from points.books import audit


@dataclass
class Restored:
    manifest: dict
    rows: int
    upgrade_to: str | None  # the code's schema head, when the backup's is another


def restore(directory: str) -> Restored:
    made = manifest.read(directory)
    engine = db.engine
    kind = database.kind(engine)
    wanted = made["database"]["kind"]
    if wanted != kind:
        raise BackupError(f"这是 {database.KINDS.get(wanted, wanted)} 数据库的备份，当前配置的数据库是 "
                          f"{database.KINDS[kind]}：请把 DATABASE_URL 设为一个空的 {database.KINDS.get(wanted, wanted)} 数据库。")
    listed = {item["path"]: item for item in made["files"]}
    if made["database"]["file"] not in listed:
        raise BackupError("备份清单没有列出数据库文件，无法恢复。")
    upload_dir = current_app.config["UPLOAD_DIR"]
    _refuse_unless_empty(engine, upload_dir)
    damaged = manifest.damaged(directory, made)
    if damaged:
        raise BackupError(f"备份已损坏，未恢复任何数据（{len(damaged)} 个文件与清单不符）：\n"
                          + "\n".join(f"  {problem}" for problem in damaged))

    source = os.path.join(directory, made["database"]["file"])
    if kind == "postgresql":
        _pg_restore(engine, source)
    else:
        _sqlite_place(engine, source, listed[made["database"]["file"]])
    for item in made["files"]:
        if item["path"].startswith(manifest.UPLOADS + "/"):
            _restore_upload(directory, item, upload_dir)
    return _checked(made)


def _refuse_unless_empty(engine, upload_dir: str) -> None:
    existing = []
    # A SQLite file not there yet is empty (and connecting would create it, or fail if its folder is missing).
    if engine.dialect.name != "sqlite" or os.path.exists(engine.url.database):
        with engine.connect() as conn:
            existing = database.existing_objects(conn)
    if existing:
        raise BackupError(f"数据库不是空的（已有 {'、'.join(existing)} 等）：恢复只写入空数据库，绝不覆盖已有数据。"
                          "请新建一个空数据库，把 DATABASE_URL 指向它后再恢复。")
    for root, _dirs, names in os.walk(upload_dir):
        if names:
            raise BackupError(f"上传目录 {upload_dir} 不是空的（已有 {os.path.join(root, names[0])} 等）："
                              "恢复只写入空目录，绝不覆盖已有文件。请把 UPLOAD_DIR 设为一个空目录后再恢复。")


def _pg_restore(engine, source: str) -> None:
    """One transaction: a failure leaves the database as empty as it was. Objects are
    owned by the configured user, whatever role owned them where the backup was made."""
    with engine.connect() as conn:
        pg_restore = database.pg_tool(conn, "pg_restore")
    address, env = database.libpq_address(engine.url)
    done = subprocess.run(
        [pg_restore, "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error", f"--dbname={address}", source],
        env=env, capture_output=True, text=True)
    if done.returncode:
        raise BackupError(f"pg_restore 失败，数据库没有改动：{done.stderr.strip()}")


def _sqlite_place(engine, source: str, item: dict) -> None:
    """Copy the database file into place. The file there is empty (checked): it and its
    WAL are removed first, so that no stale journal is applied to the restored file."""
    path = engine.url.database
    db.session.remove()
    engine.dispose()
    for suffix in ("-wal", "-shm", "-journal", ""):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    partial = path + ".restoring"
    _copy_checked(source, partial, item)
    os.replace(partial, path)


def _restore_upload(directory: str, item: dict, upload_dir: str) -> None:
    relative = item["path"][len(manifest.UPLOADS) + 1:]
    target = os.path.join(upload_dir, *relative.split("/"))
    os.makedirs(os.path.dirname(target), exist_ok=True)
    _copy_checked(os.path.join(directory, *item["path"].split("/")), target, item)


def _copy_checked(source: str, target: str, item: dict) -> None:
    """Copy, hashing on the way: a file changed since it was verified is caught too."""
    if manifest.copy_hashed(source, target) != (item["size"], item["sha256"]):
        os.remove(target)
        raise BackupError(f"{item['path']} 在恢复过程中被改动，校验值不符：恢复已中止。")


def _checked(made: dict) -> Restored:
    """The restored data against the manifest (every table's rows, the schema revision,
    the points totals) and the points books (every balance is its ledger)."""
    db.session.remove()
    db.engine.dispose()
    with db.engine.connect() as conn:
        now = database.facts(conn)
    problems = []
    for name in sorted(made["tables"].keys() | now["tables"].keys()):
        expected, found = made["tables"].get(name, "无此表"), now["tables"].get(name, "无此表")
        if expected != found:
            problems.append(f"表 {name}：备份时 {expected} 行，恢复后 {found} 行")
    if now["schema_revision"] != made["schema_revision"]:
        problems.append(f"数据库结构版本：备份时 {made['schema_revision']}，恢复后 {now['schema_revision']}")
    if now["points"] != made["points"]:
        problems.append(f"积分合计：备份时余额 {made['points']['balances']}、明细 {made['points']['ledger']}，"
                        f"恢复后余额 {now['points']['balances']}、明细 {now['points']['ledger']}")
    differences = audit()
    if differences:
        problems.append(f"积分核对（flask points audit）发现 {len(differences)} 处余额与明细不符，如用户 "
                        + "、".join(f"{d.user_id}（余额 {d.balance}，明细 {d.ledger}）" for d in differences[:5]))
    if problems:
        raise BackupError("数据已恢复，但核对不一致，请勿投入使用：\n" + "\n".join(f"  {p}" for p in problems))
    heads = ScriptDirectory.from_config(current_app.extensions["migrate"].migrate.get_config()).get_heads()
    head = ", ".join(sorted(heads))
    return Restored(made, sum(now["tables"].values()), None if head == made["schema_revision"] else head)
