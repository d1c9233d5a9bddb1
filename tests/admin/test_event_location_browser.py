"""The event form takes the place from the browser's location or from coordinates pasted
from a Chinese map app, in either order, without typing degrees by hand."""
import pytest
from playwright.sync_api import expect

from activities.models import Event
from core.extensions import db
from tests.admin.conftest import table_rows

browser_test = pytest.mark.committing


def _coords(page) -> tuple[str, str]:
    return page.input_value("#latitude"), page.input_value("#longitude")


def _datum(page) -> str:
    return page.eval_on_selector("input[name=coord_type]:checked", "e => e.value")


@browser_test
def test_coordinates_pasted_from_a_map_app_fill_latitude_and_longitude_in_either_order(open_panel, make):
    username = make.admin(role="admin").username
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto("/admin/events/new/")
    pasted, message = page.locator("#pasted-coordinates"), page.locator("#location-message")
    # The helper sits just above the latitude field.
    assert page.evaluate("() => document.getElementById('event-location-helper').nextElementSibling.contains(document.getElementById('latitude'))")

    # Tencent and Amap copy longitude first.
    pasted.fill("114.305,30.593")
    assert _coords(page) == ("30.593000", "114.305000")
    expect(message).to_have_text("已填入：纬度 30.593，经度 114.305（地图坐标，GCJ-02）。")
    assert _datum(page) == "gcj02"

    # Latitude first, with a space and a Chinese comma: the same place.
    page.fill("#latitude", "")
    page.fill("#longitude", "")
    pasted.fill("30.593，  114.305")
    assert _coords(page) == ("30.593000", "114.305000")

    # Xinjiang: both numbers under 90, the range still tells them apart.
    pasted.fill("87.617733,43.792818")
    assert _coords(page) == ("43.792818", "87.617733")

    # Not a place in China: refused with a reason, the fields left as they were; Enter
    # does not save the form.
    pasted.fill("2.3522,48.8566")
    pasted.press("Enter")
    expect(message).to_have_text("这不是国内的坐标（经度应在 73 到 135 之间，纬度在 -90 到 90 之间），请核对后重新粘贴。")
    assert _coords(page) == ("43.792818", "87.617733")
    assert panel.path() == "/admin/events/new/"
    pasted.fill("114.305")
    pasted.press("Enter")
    expect(message).to_have_text("请粘贴两个数字：经度和纬度，中间用逗号隔开，如 114.305,30.593。")
    assert table_rows(Event) == []


@browser_test
def test_the_current_location_fills_the_place_of_an_event_being_edited(open_panel, make):
    username = make.admin(role="admin").username
    event_id = make.event(title="宪法宣传进社区", latitude=None, longitude=None, radius_m=None).id
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    page.context.grant_permissions(["geolocation"])
    page.context.set_geolocation({"latitude": 30.512345, "longitude": 114.345678, "accuracy": 18})
    panel.goto(f"/admin/events/edit/?id={event_id}")
    assert _coords(page) == ("", "")

    page.click("#use-my-location")
    expect(page.locator("#location-message")).to_have_text("已填入当前位置（精度约 18 米，手机或 GPS 定位坐标，WGS-84）。")
    assert _coords(page) == ("30.512345", "114.345678")
    assert _datum(page) == "wgs84"  # a browser's location is GPS's datum, not a map app's
    page.fill("#radius_m", "150")
    with page.expect_navigation():
        page.click('form.admin-form input[type=submit][value="保存"]')
    expect(page.locator(".alert-success")).to_have_count(1)
    [row] = table_rows(Event)
    assert (row["latitude"], row["longitude"], row["radius_m"], row["coord_type"]) == (30.512345, 114.345678, 150, "wgs84")


@browser_test
def test_a_refused_location_says_what_to_do_instead(open_panel, make):
    username = make.admin(role="admin").username
    db.session.commit()
    panel = open_panel()
    panel.login(username)
    page = panel.page
    page.context.clear_permissions()  # Chromium refuses what was never granted
    panel.goto("/admin/events/new/")
    page.click("#use-my-location")
    expect(page.locator("#location-message")).to_have_text("浏览器未允许获取位置：请在地址栏的网站设置中允许定位，或从地图粘贴坐标。")
    assert _coords(page) == ("", "")
