"""flask backup: the demo town's backup restores row for row, balance for balance and
byte for byte into an empty database; a damaged backup, a database or upload directory
holding data, and a backup directory holding files are refused."""
import os
import shutil
from contextlib import contextmanager
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import delete, func, insert, inspect, select, table
from sqlalchemy.engine import make_url

from accounts.models import User
from activities import photos
from activities.models import Event
from backup.database import libpq_address
from core import create_app
from core.extensions import db
from tests.activities.photo_helpers import image_bytes
from tests.helpers import new_database

pytestmark = pytest.mark.committing




@contextmanager
def app_on(url, uploads):
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "backup-test-secret-key", "UPLOAD_DIR": str(uploads)})
    try:
        yield app
    finally:
        with app.app_context():
            db.engine.dispose()


def flask(app, *args):
    with app.app_context():
        return app.test_cli_runner().invoke(args=[str(a) for a in args])


def row_counts(app) -> dict:
    with app.app_context(), db.engine.connect() as conn:
        return {name: conn.execute(select(func.count()).select_from(table(name))).scalar()
                for name in inspect(conn).get_table_names()}


def balances(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(select(User.id, User.points_balance)).all())


def uploaded_files(app) -> list[str]:
    return [os.path.join(root, name) for root, _dirs, names in os.walk(app.config["UPLOAD_DIR"]) for name in names]


@pytest.fixture(scope="module")
def town(tmp_path_factory):
    """The demo town on a migrated database of its own, with an event photo, backed up."""
    work = tmp_path_factory.mktemp("backup")
    with new_database(work) as url, app_on(url, work / "uploads") as app:
        with app.app_context():
            upgrade()
        seeded = flask(app, "seed-demo", "--residents", 20, "--days", 3)
        assert seeded.exit_code == 0, seeded.output
        with app.app_context():
            data = image_bytes("JPEG")
            photo, _ = photos.store_photo(db.session.scalars(select(Event).order_by(Event.id)).first(), data, "现场.jpg", "image/jpeg")
            url_path = photos.photo_url(photo)
        made = flask(app, "backup", "create", work / "backup")
        assert made.exit_code == 0, made.output
        yield SimpleNamespace(app=app, backup=work / "backup", photo=data, photo_url=url_path, output=made.output)


@pytest.fixture
def empty_target(tmp_path):
    """An app on an empty database and an empty upload directory, to restore into."""
    with new_database(tmp_path) as url, app_on(url, tmp_path / "restored-uploads") as app:
        yield app


def test_a_backup_of_the_demo_town_restores_every_row_balance_and_upload(town, empty_target):
    assert "备份已写入" in town.output and "上传文件：2 个" in town.output  # the photo and its thumbnail
    result = flask(empty_target, "backup", "restore", town.backup)
    assert result.exit_code == 0, result.output
    assert "与备份清单一致" in result.output and "积分核对无误" in result.output

    counts = row_counts(empty_target)
    assert counts == row_counts(town.app)
    assert counts["app_user"] == 22 and counts["points_entry"] > 0 and counts["event_photo"] == 1
    assert balances(empty_target) == balances(town.app)
    assert sum(balances(empty_target).values()) > 0
    assert flask(empty_target, "points", "audit").exit_code == 0
    served = empty_target.test_client().get(town.photo_url)
    assert served.status_code == 200 and served.data == town.photo


@pytest.mark.parametrize("damaged", ["database", "photo"])
def test_a_backup_with_one_byte_changed_is_refused_before_anything_is_restored(town, empty_target, tmp_path, damaged):
    copy = tmp_path / "tampered"
    shutil.copytree(town.backup, copy)
    if damaged == "database":
        victim = next(p for p in copy.iterdir() if p.name.startswith("database."))
    else:
        victim = next(p for p in (copy / "uploads" / "photos").rglob("*.jpg"))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))

    result = flask(empty_target, "backup", "restore", copy)
    assert result.exit_code != 0
    assert "未恢复任何数据" in result.output and victim.name in result.output and "校验值不符" in result.output
    assert row_counts(empty_target) == {}
    assert uploaded_files(empty_target) == []


def test_a_restore_never_writes_over_a_database_or_uploads_holding_data(town, empty_target):
    before = row_counts(town.app)
    refused = flask(town.app, "backup", "restore", town.backup)
    assert refused.exit_code != 0 and "数据库不是空的" in refused.output
    assert row_counts(town.app) == before

    os.makedirs(empty_target.config["UPLOAD_DIR"])
    kept = os.path.join(empty_target.config["UPLOAD_DIR"], "已有照片.jpg")
    with open(kept, "wb") as out:
        out.write(b"keep me")
    refused = flask(empty_target, "backup", "restore", town.backup)
    assert refused.exit_code != 0 and "上传目录" in refused.output and "不是空的" in refused.output
    assert row_counts(empty_target) == {}
    assert uploaded_files(empty_target) == [kept]


def test_a_backup_is_only_written_into_a_new_or_empty_directory(town, tmp_path):
    (tmp_path / "notes.txt").write_text("上周的备份")
    refused = flask(town.app, "backup", "create", tmp_path)
    assert refused.exit_code != 0 and "不是空目录" in refused.output
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_the_database_password_goes_to_pg_tools_in_the_environment_not_the_command_line():
    address, env = libpq_address(make_url("postgresql+psycopg://pufa:s3cret-pw@127.0.0.1:5433/pufa?sslmode=disable"))
    assert "s3cret-pw" not in address
    assert address == "postgresql://pufa@127.0.0.1:5433/pufa?sslmode=disable"
    assert env["PGPASSWORD"] == "s3cret-pw"


def test_a_backup_holds_the_database_as_it_was_when_the_rows_were_counted(town, empty_target, tmp_path, monkeypatch):
    """A resident who signs up while the backup runs is in neither the manifest nor the
    copy: the counts and the copy come from one snapshot, so the restore's checks pass."""
    from backup import database

    counted = database.facts

    def then_someone_signs_up(conn):
        facts = counted(conn)
        with db.engine.begin() as other:
            other.execute(insert(User).values(openid="dev:late-signup", nickname="备份时注册的人"))
        return facts

    monkeypatch.setattr(database, "facts", then_someone_signs_up)
    try:
        made = flask(town.app, "backup", "create", tmp_path / "busy")
        assert made.exit_code == 0, made.output
        monkeypatch.undo()
        restored = flask(empty_target, "backup", "restore", tmp_path / "busy")
        assert restored.exit_code == 0, restored.output
        assert row_counts(empty_target)["app_user"] == row_counts(town.app)["app_user"] - 1
    finally:
        with town.app.app_context(), db.engine.begin() as conn:
            conn.execute(delete(User).where(User.openid == "dev:late-signup"))


def test_a_backup_into_an_empty_directory_made_beforehand_is_readable_by_its_owner_only(town, tmp_path):
    target = tmp_path / "nightly"
    target.mkdir(mode=0o755)
    assert flask(town.app, "backup", "create", target).exit_code == 0
    assert target.stat().st_mode & 0o777 == 0o700
