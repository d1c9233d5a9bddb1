"""Distance on the earth, for the check-in geofence, and the two datums points come in.

Chinese map apps (Tencent, Amap) show GCJ-02 coordinates, the state-mandated
obfuscation of WGS-84; a phone's `wx.getLocation` gives WGS-84 unless asked for
`gcj02`. The two differ by 100-700 m in China, more than a geofence's radius. The one
rule: a person's point is put into the datum of the place it is measured against
(`convert`), and only then is the distance taken (`distance_m`).
"""
from math import asin, cos, pi, radians, sin, sqrt

EARTH_RADIUS_M = 6_371_008.8

WGS84 = "wgs84"
GCJ02 = "gcj02"
COORD_TYPES = (WGS84, GCJ02)

# The public GCJ-02 formulas (as in eviltransform and wandergis/coordtransform): the
# offset is a fixed function of the WGS-84 point, on the Krasovsky 1940 ellipsoid.
_A = 6378245.0
_EE = 0.00669342162296594323


def distance_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres (haversine; ample for a few kilometres)."""
    p1, p2 = radians(lat1), radians(lat2)
    dp, dl = p2 - p1, radians(lng2 - lng1)
    a = sin(dp / 2) ** 2 + cos(p1) * cos(p2) * sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * asin(min(1.0, sqrt(a)))


def convert(lat: float, lng: float, source: str, target: str) -> tuple[float, float]:
    """The point (lat, lng) given in datum `source`, in datum `target`."""
    if source == target:
        return lat, lng
    if (source, target) == (WGS84, GCJ02):
        return wgs84_to_gcj02(lat, lng)
    if (source, target) == (GCJ02, WGS84):
        return gcj02_to_wgs84(lat, lng)
    raise ValueError(f"unknown datum: {source!r} or {target!r}")


def outside_china(lat: float, lng: float) -> bool:
    """Outside the box GCJ-02 is applied in (the usual rough box of the public formulas;
    it also holds a few neighbours' border areas, which a township never meets)."""
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    """WGS-84 to GCJ-02 by the public forward formulas; unchanged outside China."""
    if outside_china(lat, lng):
        return lat, lng
    dlat, dlng = _offset(lat, lng)
    return lat + dlat, lng + dlng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 to WGS-84: the forward formulas have no closed inverse, so the WGS-84 point
    is found by fixed-point iteration (the offset changes by well under 0.1 % across its
    own size, so each step gains three digits; a few steps reach millimetres)."""
    if outside_china(lat, lng):
        return lat, lng
    wlat, wlng = lat, lng
    for _ in range(10):
        glat, glng = wgs84_to_gcj02(wlat, wlng)
        dlat, dlng = lat - glat, lng - glng
        wlat, wlng = wlat + dlat, wlng + dlng
        if abs(dlat) < 1e-9 and abs(dlng) < 1e-9:  # 1e-9 degree is about 0.1 mm
            break
    return wlat, wlng


def _offset(lat: float, lng: float) -> tuple[float, float]:
    """GCJ-02 minus WGS-84 at a WGS-84 point, in degrees."""
    x, y = lng - 105.0, lat - 35.0
    waves = (20.0 * sin(6.0 * x * pi) + 20.0 * sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(abs(x)) + waves
            + (20.0 * sin(y * pi) + 40.0 * sin(y / 3.0 * pi)) * 2.0 / 3.0
            + (160.0 * sin(y / 12.0 * pi) + 320.0 * sin(y * pi / 30.0)) * 2.0 / 3.0)
    dlng = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(abs(x)) + waves
            + (20.0 * sin(x * pi) + 40.0 * sin(x / 3.0 * pi)) * 2.0 / 3.0
            + (150.0 * sin(x / 12.0 * pi) + 300.0 * sin(x / 30.0 * pi)) * 2.0 / 3.0)
    rad = radians(lat)
    magic = 1 - _EE * sin(rad) ** 2
    dlat = dlat * 180.0 / ((_A * (1 - _EE)) / (magic * sqrt(magic)) * pi)
    dlng = dlng * 180.0 / (_A / sqrt(magic) * cos(rad) * pi)
    return dlat, dlng
