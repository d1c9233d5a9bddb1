"""Uploading an event's photos from the browser: one request a photo, with progress, so
a batch of phone photos has no total limit; each photo over the limit is refused by name."""
import pytest
from playwright.sync_api import expect

from activities.models import EventPhoto
from core.extensions import db
from tests.activities.photo_helpers import image_bytes
from tests.admin.conftest import table_rows

browser_test = pytest.mark.committing
MB = 1024 * 1024


def _phone_photo(path, taken: str):
    """About 4.5 MB of JPEG, as a phone takes (random pixels: every one is new)."""
    path.write_bytes(image_bytes("JPEG", size=(2400, 1600), quality=95, taken=taken))
    return path


def _slow_uploads(page, bytes_per_second: int) -> None:
    """Throttle the browser's uploads (Chromium's DevTools), so progress can be watched."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0, "downloadThroughput": -1,
                                                  "uploadThroughput": bytes_per_second})


def _upload_posts(panel, event_id: int) -> int:
    return sum(1 for u in panel.requests if u.endswith(f"/admin/event-photos/{event_id}/upload"))


@browser_test
def test_three_photos_over_twelve_mb_in_all_go_up_one_by_one_with_progress(open_panel, make, tmp_path):
    username = make.admin(role="admin").username
    event_id = make.event(title="民法典进村入户宣讲").id
    db.session.commit()
    files = [_phone_photo(tmp_path / f"现场{i}.jpg", f"2026:05:2{i} 09:3{i}:00") for i in range(1, 4)]
    sizes = [f.stat().st_size for f in files]
    assert sum(sizes) > 12 * MB and max(sizes) < 10 * MB  # more than one request could carry

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/event-photos/{event_id}")
    _slow_uploads(page, 8 * MB)
    page.set_input_files("#photo-file", [str(f) for f in files])
    page.fill("#photo-caption", "村民广场听讲民法典")
    with page.expect_navigation(timeout=30_000):  # the page reloads once all are up
        page.click("#photo-upload-form button[type=submit]")
        rows = page.locator("#upload-progress .upload-row")
        expect(rows).to_have_count(3)
        expect(rows.nth(0)).to_contain_text("现场1.jpg")
        # A photo part way up shows how far it is.
        page.wait_for_function("""() => [...document.querySelectorAll('#upload-progress progress')]
                                        .some(p => p.value > 0 && p.value < 100)""", timeout=15_000)
        expect(rows.nth(0).locator(".upload-percent")).to_have_text("100%", timeout=15_000)
        expect(rows.nth(0).locator(".upload-result")).to_have_text("已上传")

    expect(page.locator("#upload-summary")).to_have_text("已上传 3 张照片。")
    expect(page.locator("#photo-list [data-photo-id]")).to_have_count(3)
    stored = table_rows(EventPhoto)
    assert sorted(p["size_bytes"] for p in stored) == sorted(sizes)
    assert {p["caption"] for p in stored} == {"村民广场听讲民法典"}
    assert _upload_posts(panel, event_id) == 3  # one request a photo


@browser_test
def test_photos_that_cannot_be_kept_are_refused_by_name_and_the_rest_stored(open_panel, make, tmp_path):
    username = make.admin(role="admin").username
    event_id = make.event().id
    db.session.commit()
    good = tmp_path / "合影.jpg"
    good.write_bytes(image_bytes("JPEG", size=(800, 600)))
    huge = tmp_path / "全景.jpg"
    huge.write_bytes(b"\xff\xd8" + b"\0" * (11 * MB))  # over 10 MB: never sent
    fake = tmp_path / "会议纪要.jpg"
    fake.write_bytes("这不是图片，是一份会议纪要。".encode())

    panel = open_panel()
    panel.login(username)
    page = panel.page
    panel.goto(f"/admin/event-photos/{event_id}")
    page.set_input_files("#photo-file", [str(huge), str(good), str(fake)])
    page.click("#photo-upload-form button[type=submit]")

    summary = page.locator("#upload-summary")
    expect(summary).to_have_text("已上传 1 张照片；2 张未能上传（原因见上）。刷新页面可看到新上传的照片。")
    rows = page.locator("#upload-progress .upload-row")
    expect(rows.nth(0)).to_contain_text("全景.jpg")
    expect(rows.nth(0).locator(".upload-result")).to_have_text("图片过大：每张不能超过 10 MB，未上传。")
    expect(rows.nth(1).locator(".upload-result")).to_have_text("已上传")
    expect(rows.nth(2).locator(".upload-result")).to_have_text("无法识别的图片：只能上传 JPEG、PNG 或 WebP 图片，且文件须完整。")
    assert [p["size_bytes"] for p in table_rows(EventPhoto)] == [good.stat().st_size]
    assert _upload_posts(panel, event_id) == 2  # the one over the limit never left the browser

    # The same photo again is not stored twice, and says so after the page reloads.
    page.set_input_files("#photo-file", [str(good)])
    with page.expect_navigation():
        page.click("#photo-upload-form button[type=submit]")
    expect(summary).to_have_text("1 张此活动已有，未重复保存。")
    expect(page.locator("#photo-list [data-photo-id]")).to_have_count(1)
    assert len(table_rows(EventPhoto)) == 1
