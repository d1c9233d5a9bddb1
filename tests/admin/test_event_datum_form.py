"""The event form asks where the coordinates came from (a map app's GCJ-02 or GPS)."""
import re
from datetime import timedelta

from sqlalchemy import select

from activities import tokens
from activities.models import Event
from core.extensions import db
from core.timeutil import local_naive, utcnow
from tests.admin.conftest import login

# One place on 长安街, Beijing: as a map app shows it (GCJ-02) and as a phone's GPS gives it.
MAP = ("39.91334545536069", "116.38404722455657")
GPS = {"latitude": 39.911954, "longitude": 116.377817}


def _coord_choices(html: str) -> dict[str, bool]:
    """The form's coord_type radio buttons: value -> checked."""
    inputs = re.findall(r'<input[^>]*name="coord_type"[^>]*>', html)
    return {re.search(r'value="(\w+)"', i).group(1): bool(re.search(r"\bchecked\b", i)) for i in inputs}


def _beijing(dt) -> str:
    return local_naive(dt).strftime("%Y-%m-%d %H:%M:%S")


def test_a_new_event_assumes_coordinates_from_a_map_app(panel, make):
    login(panel, make.admin("admin"))
    page = panel.get("/admin/events/new/").get_data(as_text=True)
    assert _coord_choices(page) == {"gcj02": True, "wgs84": False}
    assert "坐标来源" in page and "腾讯地图、高德地图" in page and "手机定位" in page and "百度地图的坐标不能直接用" in page


def test_an_event_saved_with_map_coordinates_lets_people_with_gps_check_in(panel, make, api):
    login(panel, make.admin("admin"))
    unit = make.org_unit(kind="department", name="司法所")
    now = utcnow()
    r = panel.post("/admin/events/new/", data={
        "title": "民法典进社区（长安街）", "kind": "outreach", "org_unit": str(unit.id),
        "starts_at": _beijing(now - timedelta(minutes=30)), "ends_at": _beijing(now + timedelta(hours=2)),
        "checkin_opens_at": _beijing(now - timedelta(hours=1)), "checkin_closes_at": _beijing(now + timedelta(hours=2)),
        "location_name": "社区广场", "latitude": MAP[0], "longitude": MAP[1], "coord_type": "gcj02", "radius_m": "100",
        "points": "2", "quiz_size": "5", "quiz_points_each": "2", "token_seconds": "30", "description": ""})
    assert r.status_code == 302, r.get_data(as_text=True)
    event = db.session.scalar(select(Event).where(Event.title == "民法典进社区（长安街）"))
    assert event.coord_type == "gcj02"
    token = tokens.issue(event.id, event.token_seconds, utcnow())[0]
    assert api.as_user(make.user()).post("/checkins", json={"token": token, **GPS}).status_code == 201


def test_an_event_from_before_keeps_its_datum_when_edited(panel, make):
    login(panel, make.admin("admin"))
    event = make.event(title="宪法宣传日活动", radius_m=100, latitude=GPS["latitude"], longitude=GPS["longitude"])
    page = panel.get(f"/admin/events/edit/?id={event.id}").get_data(as_text=True)
    assert _coord_choices(page) == {"gcj02": False, "wgs84": True}
