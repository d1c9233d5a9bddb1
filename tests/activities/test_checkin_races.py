"""Check-ins at once, on separate connections (the proof on PostgreSQL)."""
import pytest
from sqlalchemy import func, select

from activities import tokens
from activities.models import CheckIn, Event
from core.extensions import db
from core.timeutil import utcnow
from points.models import PointsEntry
from tests.api.test_races import _auth, _balance, _ledger_total, _race

pytestmark = pytest.mark.committing
HERE = {"latitude": 30.5123, "longitude": 114.3456, "accuracy": 15}


def test_one_person_tapping_check_in_many_times_checks_in_once(app, make):
    event = make.event(points=3)
    user_id, event_id = make.user().id, event.id
    token = tokens.issue(event.id, event.token_seconds, utcnow())[0]
    db.session.commit()
    headers = _auth(user_id)
    results = _race(app, 8, lambda i, c: c.post("/api/v1/checkins", json={"token": token, **HERE}, headers=headers))
    assert sorted(r.status_code for r in results) == [201] + [409] * 7
    db.session.rollback()
    assert _balance(user_id) == _ledger_total(user_id) == 3
    assert db.session.get(Event, event_id).checkin_count == 1


def test_a_crowd_checking_in_at_once_is_counted_exactly(app, make):
    event = make.event(points=2)
    users = [make.user().id for _ in range(12)]
    event_id = event.id
    token = tokens.issue(event.id, event.token_seconds, utcnow())[0]
    db.session.commit()
    headers = [_auth(u) for u in users]
    results = _race(app, 12, lambda i, c: c.post("/api/v1/checkins", json={"token": token, **HERE}, headers=headers[i]))
    assert [r.status_code for r in results] == [201] * 12
    db.session.rollback()
    assert db.session.get(Event, event_id).checkin_count == 12
    assert db.session.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.event_id == event_id)) == 12
    assert db.session.scalar(select(func.sum(PointsEntry.delta))) == 24
