"""Build the database for the check-in hall benchmark and a file of tokens.

    python bench/checkin_prepare.py DATABASE_URL [--people 500] [--out FILE] [--units 5]

* PostgreSQL: the database named in the URL is dropped and created again, or created if
  it is missing (its name must contain "bench"; bench/benchdb.py's recreate_database),
  e.g. postgresql://postgres@127.0.0.1:5432/pufa_bench_checkin.
  SQLite: the file is deleted and created again.
* Schema by Alembic (`flask db upgrade`). No question bank: a check-in does not read it.
* A town with --units villages under it, and --people residents spread over them (the
  ledger's tallies copy the user's unit, as for a real resident).
* One event going on now, as tests/factories.py `event()` makes it: started 30 minutes
  ago, ends in 2 hours, check-in open from 30 minutes before the start to the end, at
  东湖村文化广场 (30.5123, 114.3456) with a 200 m geofence, 3 points per check-in, the
  projector code rotating every --token-seconds (30, the app's default).
* A panel account (role admin) for the projector: username "projector", --password.
* The output is JSON: {"event_id", "token_seconds", "latitude", "longitude", "radius_m",
  "points", "database_url", "admin": {"username", "password"},
  "people": [{"user_id", "token"}, ...]}; bearer tokens by accounts.tokens.issue.

Run from the repository root with the app's venv; set SECRET_KEY (and PUFA_INSTANCE)
the same way as for the server, or the tokens will not verify."""
import argparse
import sys
import time
from datetime import timedelta
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# As tests/factories.py event().
LATITUDE, LONGITUDE, RADIUS_M, POINTS = 30.5123, 114.3456, 200, 3


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("--people", type=int, default=500)
    p.add_argument("--units", type=int, default=5, help="villages the residents live in")
    p.add_argument("--token-seconds", type=int, default=30, help="how often the projector's code changes (10..600)")
    p.add_argument("--password", default="projector-bench-password")
    p.add_argument("--out", default="/tmp/pufa-bench/checkin/people.json")
    args = p.parse_args()

    t0 = benchdb.start(args.database_url)

    from accounts import tokens
    from accounts.admins import create_admin
    from accounts.models import OrgUnit, User
    from activities.models import Event
    from core import create_app
    from core.extensions import db
    from core.timeutil import utcnow

    app = create_app()
    with app.app_context():
        benchdb.create_schema(db, bank=False)
        print(f"schema ({time.monotonic() - t0:.1f}s)", flush=True)

        town = OrgUnit(name="压测镇", kind="town")
        db.session.add(town)
        db.session.flush()
        villages = [OrgUnit(name=f"压测{i + 1}村", kind="village", parent_id=town.id) for i in range(args.units)]
        host = OrgUnit(name="压测司法所", kind="department", parent_id=town.id)
        db.session.add_all(villages + [host])
        db.session.flush()

        users = [User(openid=f"bench-checkin:{i}", nickname=f"签到压测{i + 1}", real_name=f"签到压测{i + 1}",
                      org_unit_id=villages[i % len(villages)].id) for i in range(args.people)]
        db.session.add_all(users)

        now = utcnow()
        starts, ends = now - timedelta(minutes=30), now + timedelta(hours=2)
        event = Event(title="民法典进村宣讲（签到压测）", kind="outreach", org_unit_id=host.id, starts_at=starts, ends_at=ends,
                      checkin_opens_at=starts - timedelta(minutes=30), checkin_closes_at=ends, location_name="东湖村文化广场",
                      latitude=LATITUDE, longitude=LONGITUDE, radius_m=RADIUS_M, points=POINTS,
                      token_seconds=args.token_seconds)
        db.session.add(event)
        db.session.commit()
        create_admin("projector", args.password, role="admin")  # commits

        out = {
            "event_id": event.id, "token_seconds": event.token_seconds, "latitude": event.latitude,
            "longitude": event.longitude, "radius_m": event.radius_m, "points": event.points,
            "database_url": args.database_url, "admin": {"username": "projector", "password": args.password},
            "people": [{"user_id": u.id, "token": tokens.issue(u.id)[0]} for u in users],
        }
        print(f"event {event.id}: geofence {event.radius_m} m around ({event.latitude}, {event.longitude}), "
              f"{event.points} points, code every {event.token_seconds}s; residents: {len(users)} in "
              f"{len(villages)} villages; panel account: projector ({time.monotonic() - t0:.1f}s)", flush=True)
        benchdb.finish(db)

    path = benchdb.write_json(args.out, out)
    print(f"tokens: {len(out['people'])} -> {path} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
