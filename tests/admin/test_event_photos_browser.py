"""Event photos in a real browser: staff upload, the thumbnail shows, an admin deletes."""
import pytest
from playwright.sync_api import expect

from activities.models import EventPhoto
from core.extensions import db
from tests.activities.photo_helpers import image_bytes
from tests.admin.conftest import table_rows

browser_test = pytest.mark.committing


@browser_test
def test_upload_see_the_thumbnail_and_delete(open_panel, make, tmp_path):
    username = make.admin(role="admin").username
    event_id = make.event(title="宪法宣传日广场活动").id
    db.session.commit()
    path = tmp_path / "现场.jpg"
    path.write_bytes(image_bytes("JPEG", size=(800, 600), taken="2026:12:04 09:30:00"))

    panel = open_panel()
    panel.login(username)
    page = panel.page
    page.on("dialog", lambda dialog: dialog.accept())
    panel.goto(f"/admin/event-photos/{event_id}")
    page.set_input_files("#photo-file", str(path))
    page.fill("#photo-caption", "群众围观宪法展板")
    with page.expect_navigation():
        page.click("#photo-upload-form button[type=submit]")
    card = page.locator("#photo-list [data-photo-id]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text("群众围观宪法展板")
    expect(card).to_contain_text("2026-12-04 09:30")  # taken time, shown in Beijing time
    # The thumbnail really loads from the app.
    page.wait_for_function("() => { const i = document.querySelector('#photo-list img'); return i && i.complete && i.naturalWidth > 0; }")
    [photo] = table_rows(EventPhoto)
    assert photo["width"] == 800 and photo["caption"] == "群众围观宪法展板"

    with page.expect_navigation():
        page.click(".photo-delete-form button")
    expect(page.locator("#no-photos")).to_be_visible()
    assert table_rows(EventPhoto) == []
