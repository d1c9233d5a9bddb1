"""WGS-84 and GCJ-02: the public conversion, checked against published pairs."""
import pytest

from activities.geo import GCJ02, WGS84, convert, distance_m, gcj02_to_wgs84, wgs84_to_gcj02

# (WGS-84 lat, lng), (GCJ-02 lat, lng) as published with the standard formulas: the
# test pairs of eviltransform (Beijing, Shanghai, Shenzhen) and the README example of
# wandergis/coordtransform (天安门).
PUBLISHED = {
    "天安门": ((39.915, 116.404), (39.91640428150164, 116.41024449916938)),
    "北京长安街": ((39.911954, 116.377817), (39.91334545536069, 116.38404722455657)),
    "上海浦东": ((31.1774276, 121.5272106), (31.17530398364597, 121.531541859215)),
    "深圳南山": ((22.543847, 113.912316), (22.540796131694766, 113.9171764808363)),
}
# Places across China, from the factories' 东湖村文化广场 in Wuhan to the far corners.
PLACES = [(30.5123, 114.3456), (39.4677, 75.9938), (45.7567, 126.6424), (18.2528, 109.5119), (29.6520, 91.1721)]


@pytest.mark.parametrize("name", PUBLISHED)
def test_conversion_agrees_with_published_pairs(name):
    wgs, gcj = PUBLISHED[name]
    assert distance_m(*wgs84_to_gcj02(*wgs), *gcj) < 3
    assert distance_m(*gcj02_to_wgs84(*gcj), *wgs) < 1
    assert distance_m(*convert(*wgs, WGS84, GCJ02), *gcj) < 3
    assert distance_m(*convert(*gcj, GCJ02, WGS84), *wgs) < 1


@pytest.mark.parametrize("place", PLACES)
def test_round_trip_stays_within_a_metre_and_the_shift_beats_a_geofence(place):
    gcj = wgs84_to_gcj02(*place)
    # The shift a wrong datum causes: more than the 200 m of a usual geofence.
    assert 100 < distance_m(*place, *gcj) < 700
    assert distance_m(*gcj02_to_wgs84(*gcj), *place) < 1
    assert distance_m(*wgs84_to_gcj02(*gcj02_to_wgs84(*place)), *place) < 1


def test_points_outside_china_are_not_shifted():
    for place in ((51.5007, -0.1246), (35.6586, 139.7454), (-33.8568, 151.2153)):  # London, Tokyo, Sydney
        assert wgs84_to_gcj02(*place) == place
        assert gcj02_to_wgs84(*place) == place


def test_same_datum_is_left_alone_and_an_unknown_one_refused():
    assert convert(30.5123, 114.3456, GCJ02, GCJ02) == (30.5123, 114.3456)
    assert convert(30.5123, 114.3456, WGS84, WGS84) == (30.5123, 114.3456)
    with pytest.raises(ValueError):
        convert(30.5123, 114.3456, "bd09", WGS84)
