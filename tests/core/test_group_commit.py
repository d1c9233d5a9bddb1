"""SQLite's group commit (core.sql.GroupCommit): work batched into one transaction
keeps each piece's outcome to itself."""
import threading

import pytest
from sqlalchemy import create_engine, text

from core import sqlite
from core.sql import GroupCommit, Work


@pytest.fixture
def engine(tmp_path):
    sqlite.install()
    engine = create_engine(f"sqlite:///{tmp_path}/group.sqlite3", **sqlite.engine_options("sqlite://"))
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE note (id INTEGER PRIMARY KEY, body TEXT NOT NULL UNIQUE)"))
    yield engine
    engine.dispose()


def _add(raw, body):
    raw.execute("INSERT INTO note (body) VALUES (?)", (body,))
    return raw.execute("SELECT count(*) FROM note").fetchone()[0]


def _add_then_fail(raw, body):
    _add(raw, body)
    raise ValueError(f"{body} refused")


def _bodies(engine):
    with engine.connect() as conn:
        return sorted(conn.execute(text("SELECT body FROM note")).scalars())


def test_a_failing_piece_of_a_batch_is_undone_alone(engine):
    batch = [Work(_add, ("a",)), Work(_add_then_fail, ("b",)), Work(_add, ("a",)), Work(_add, ("c",))]
    GroupCommit(engine).run_batch(batch)

    assert _bodies(engine) == ["a", "c"]
    assert batch[0].outcome() == 1 and batch[3].outcome() == 2
    with pytest.raises(ValueError, match="b refused"):
        batch[1].outcome()
    with pytest.raises(Exception, match="UNIQUE"):  # the duplicate, seen inside the same transaction
        batch[2].outcome()


def test_a_lone_failing_piece_leaves_nothing(engine):
    job = Work(_add_then_fail, ("x",))
    GroupCommit(engine).run_batch([job])
    assert _bodies(engine) == []
    with pytest.raises(ValueError):
        job.outcome()


def test_concurrent_writers_each_get_their_own_result(engine):
    committer = GroupCommit(engine)
    n = 24
    barrier = threading.Barrier(n)
    results: dict[int, object] = {}

    def write(i):
        barrier.wait()
        try:
            results[i] = committer.run(_add_then_fail if i % 5 == 0 else _add, (f"note {i}",))
        except ValueError as exc:
            results[i] = exc

    threads = [threading.Thread(target=write, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    kept = [i for i in range(n) if i % 5]
    assert _bodies(engine) == sorted(f"note {i}" for i in kept)
    assert all(isinstance(results[i], ValueError) for i in range(0, n, 5))
    # Each writer saw the table with its own row in it: counts are distinct, 1..len(kept).
    assert sorted(results[i] for i in kept) == list(range(1, len(kept) + 1))


def test_a_write_lock_that_never_comes_is_a_database_error_for_every_waiter(engine):
    from sqlalchemy.exc import OperationalError

    holder = engine.raw_connection()
    holder.driver_connection.execute("PRAGMA busy_timeout=0")
    holder.driver_connection.execute("BEGIN IMMEDIATE")  # another writer, outside the queue
    try:
        waiting = engine.raw_connection()
        waiting.driver_connection.execute("PRAGMA busy_timeout=50")
        waiting.close()  # back to the pool: the batch takes it
        jobs = [Work(_add, ("a",)), Work(_add, ("b",))]
        with pytest.raises(OperationalError):
            GroupCommit(engine).run_batch(jobs)
        for job in jobs:
            with pytest.raises(OperationalError):
                job.outcome()
    finally:
        holder.driver_connection.rollback()
        holder.close()
    assert _bodies(engine) == []
