"""flask backup prune: the N newest complete backups stay and older ones go; a directory
that is not a complete backup (unfinished, damaged, someone else's) is never deleted;
--keep under 1 is refused; the nightly unit prunes after it backs up."""
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from core.extensions import db
from tests.backup.test_backup import app_on, flask
from tests.helpers import new_database

pytestmark = pytest.mark.committing

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """One real backup (of an empty schema), to copy into a backup directory."""
    work = tmp_path_factory.mktemp("prune")
    with new_database(work) as url, app_on(url, work / "uploads") as app:
        with app.app_context():
            db.create_all()
        done = flask(app, "backup", "create", work / "one")
        assert done.exit_code == 0, done.output
        yield app, work / "one"


def _backup(made, shelf: Path, name: str, day: int) -> Path:
    """A copy of the backup named `name`, made (by its manifest) on May `day`."""
    target = shelf / name
    shutil.copytree(made[1], target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["created_at"] = f"2026-05-{day:02d}T18:30:00Z"
    (target / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    return target


def test_the_newest_complete_backups_stay_and_the_rest_go_but_nothing_else(made, tmp_path):
    shelf = tmp_path / "backups"
    shelf.mkdir()
    # Named against their order in time: the manifest's time decides, not the name.
    for name, day in (("a", 5), ("b", 4), ("c", 3), ("d", 2), ("e", 1)):
        _backup(made, shelf, name, day)
    unfinished = _backup(made, shelf, "2026-05-06", 6)
    (unfinished / "manifest.json").unlink()  # a create still running, or one that died
    (shelf / "照片").mkdir()
    (shelf / "照片" / "活动.jpg").write_bytes(b"not a backup")
    (shelf / "说明.txt").write_text("backups of the town")

    result = flask(made[0], "backup", "prune", shelf, "--keep", 2)
    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(shelf)) == ["2026-05-06", "a", "b", "照片", "说明.txt"]
    assert "保留：a、b" in result.output and "已删除：c、d、e" in result.output
    assert "2026-05-06" in result.output and "照片" in result.output  # named as left alone
    assert (shelf / "照片" / "活动.jpg").read_bytes() == b"not a backup"
    assert set(os.listdir(unfinished)) == set(os.listdir(made[1])) - {"manifest.json"}  # untouched

    again = flask(made[0], "backup", "prune", shelf, "--keep", 2)
    assert again.exit_code == 0 and sorted(os.listdir(shelf)) == ["2026-05-06", "a", "b", "照片", "说明.txt"]


def test_a_damaged_backup_is_neither_kept_nor_deleted_and_the_run_fails(made, tmp_path):
    shelf = tmp_path / "backups"
    shelf.mkdir()
    newest = _backup(made, shelf, "newest", 9)
    for name, day in (("older", 8), ("oldest", 7)):
        _backup(made, shelf, name, day)
    victim = next(p for p in newest.iterdir() if p.name.startswith("database."))
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0x01
    victim.write_bytes(bytes(data))
    broken = _backup(made, shelf, "broken-manifest", 1)
    (broken / "manifest.json").write_text("{", encoding="utf-8")

    result = flask(made[0], "backup", "prune", shelf, "--keep", 1)
    # The damaged newest does not count: the newest complete one stays.
    assert sorted(os.listdir(shelf)) == ["broken-manifest", "newest", "older"]
    assert result.exit_code != 0 and "2 份备份已损坏" in result.output
    assert "newest" in result.output and "校验值不符" in result.output and "已损坏，无法读取" in result.output
    assert victim.read_bytes() == bytes(data)


@pytest.mark.parametrize("keep", [0, -3])
def test_keeping_fewer_than_one_is_refused(made, tmp_path, keep):
    shelf = tmp_path / "backups"
    shelf.mkdir()
    _backup(made, shelf, "only", 1)
    result = flask(made[0], "backup", "prune", shelf, "--keep", keep)
    assert result.exit_code != 0 and "--keep 至少为 1" in result.output
    assert os.listdir(shelf) == ["only"]


def test_the_nightly_unit_prunes_after_a_successful_backup():
    unit = (ROOT / "deploy" / "systemd" / "pufa-backup.service").read_text()
    runs = re.findall(r"^ExecStart=(.*)$", unit, re.MULTILINE)
    # A oneshot's ExecStart lines run in order, each only if the one before succeeded.
    assert "Type=oneshot" in unit and len(runs) == 2
    assert "flask backup create /var/backups/pufa/" in runs[0]
    assert "flask backup prune /var/backups/pufa --keep" in runs[1]
