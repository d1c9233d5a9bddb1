"""POST /checkins with points in either datum, against events set up in either datum."""
import pytest
from sqlalchemy import select

from activities import tokens
from activities.models import CheckIn
from core.extensions import db
from core.timeutil import utcnow

# One place on 长安街, Beijing, in both datums (a published pair of the standard
# formulas): the two are about 550 m apart.
GPS = {"latitude": 39.911954, "longitude": 116.377817}
MAP = {"latitude": 39.91334545536069, "longitude": 116.38404722455657}


def _token(event):
    return tokens.issue(event.id, event.token_seconds, utcnow())[0]


def _check_in(api, make, event, point, **extra):
    return api.as_user(make.user()).post("/checkins", json={"token": _token(event), **point, "accuracy": 10, **extra})


def test_event_pasted_from_a_map_app_takes_the_phones_gps(api, make):
    event = make.event(coord_type="gcj02", radius_m=100, **MAP)
    # wx.getLocation as it comes (WGS-84, no coord_type), and asked for gcj02.
    assert _check_in(api, make, event, GPS).status_code == 201
    assert _check_in(api, make, event, MAP, coord_type="gcj02").status_code == 201
    # The map's numbers sent as if they were GPS: some 550 m off, refused.
    r = _check_in(api, make, event, MAP, coord_type="wgs84")
    assert r.status_code == 403 and r.json["code"] == "out_of_range"
    assert 500 < r.json["details"]["distance_m"] < 600


def test_event_in_wgs84_takes_points_in_either_datum(api, make):
    event = make.event(coord_type="wgs84", radius_m=100, **GPS)
    assert _check_in(api, make, event, GPS).status_code == 201
    assert _check_in(api, make, event, MAP, coord_type="gcj02").status_code == 201
    # GPS numbers labelled gcj02 are taken for a point some 550 m away.
    r = _check_in(api, make, event, GPS, coord_type="gcj02")
    assert r.status_code == 403 and r.json["code"] == "out_of_range"
    assert 500 < r.json["details"]["distance_m"] < 600


def test_events_set_up_before_the_datum_was_asked_compare_in_wgs84(api, make):
    event = make.event(radius_m=100, **GPS)  # no coord_type given: as the rows from before
    assert event.coord_type == "wgs84"
    assert _check_in(api, make, event, GPS).status_code == 201
    assert _check_in(api, make, event, MAP).json["code"] == "out_of_range"


def test_the_check_in_keeps_its_point_and_distance_in_the_events_datum(api, make):
    event = make.event(coord_type="gcj02", radius_m=100, **MAP)
    user = make.user()
    r = api.as_user(user).post("/checkins", json={"token": _token(event), **GPS})
    assert r.status_code == 201
    row = db.session.scalar(select(CheckIn).where(CheckIn.user_id == user.id))
    assert row.distance_m < 3
    assert abs(row.latitude - MAP["latitude"]) < 3e-5 and abs(row.longitude - MAP["longitude"]) < 3e-5


@pytest.mark.parametrize("bad", ["bd09", "WGS84", "", 84, None])
def test_an_unknown_coord_type_is_refused_without_checking_in(api, make, bad):
    event = make.event(coord_type="gcj02", **MAP)
    user = make.user()
    r = api.as_user(user).post("/checkins", json={"token": _token(event), **MAP, "coord_type": bad})
    assert r.status_code == 422 and r.json["code"] == "validation_error"
    assert set(r.json["details"]) == {"coord_type"}
    assert db.session.scalar(select(CheckIn.id).where(CheckIn.user_id == user.id)) is None


def test_the_api_document_explains_coord_type(client):
    field = client.get("/openapi.json").get_json()["components"]["schemas"]["CheckInIn"]["properties"]["coord_type"]
    assert field["enum"] == ["wgs84", "gcj02"] and field["default"] == "wgs84"
    assert "gcj02" in field["description"] and "wx.getLocation" in field["description"]
