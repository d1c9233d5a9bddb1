"""Event photos in the panel, through the test client (CSRF off): admins upload and
delete, editors and reviewers look, and deleting is audited."""
import io
import re

from sqlalchemy import select

from accounts.models import AuditLog
from activities import photos
from activities.models import EventPhoto
from core.extensions import db
from tests.activities.photo_helpers import image_bytes, stored_files
from tests.admin.conftest import login

BASE = "/admin/event-photos"


def _as(panel, make, role):
    client = panel.application.test_client()
    login(client, make.admin(role))
    return client


def _upload(client, event_id, *files, caption=""):
    db.session.expire_all()
    return client.post(f"{BASE}/{event_id}/upload", data={"file": [(io.BytesIO(d), n) for d, n in files], "caption": caption},
                       content_type="multipart/form-data")


def _photos(event):
    db.session.expire_all()
    return db.session.scalars(select(EventPhoto).where(EventPhoto.event_id == event.id).order_by(EventPhoto.id)).all()


def test_an_admin_uploads_photos_and_the_page_shows_them(panel, make):
    staff = make.admin("admin")
    login(panel, staff)
    event = make.event(title="国家宪法日进社区")
    first = image_bytes("JPEG", size=(900, 600), taken="2025:12:04 09:30:00")
    r = _upload(panel, event.id, (first, "现场1.jpg"), (image_bytes("PNG"), "展板.png"), caption="宪法宣传日现场")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"{BASE}/{event.id}")
    rows = _photos(event)
    assert len(rows) == 2 and all(p.uploaded_by_admin_id == staff.id and p.caption == "宪法宣传日现场" for p in rows)
    audit = db.session.scalars(select(AuditLog).where(AuditLog.entity == "event_photo", AuditLog.action == "create")).all()
    assert {a.entity_id for a in audit} == {str(p.id) for p in rows}

    page = panel.get(f"{BASE}/{event.id}").get_data(as_text=True)
    assert "国家宪法日进社区" in page and "照片（2 张）" in page
    assert photos.thumb_url(rows[0]) in page and photos.photo_url(rows[0]) in page
    assert "2025-12-04 09:30" in page  # taken time, Beijing time as the camera wrote it
    assert "900 × 600" in page and f"{staff.username}（后台）" in page
    assert 'id="photo-upload-form"' in page and "photo-delete-form" in page
    assert panel.get(photos.thumb_url(rows[0])).status_code == 200

    again = _upload(panel, event.id, (first, "again.jpg"))
    assert again.status_code == 302 and len(_photos(event)) == 2
    assert "此活动已有" in panel.get(f"{BASE}/{event.id}").get_data(as_text=True)


def test_a_refused_file_is_explained_and_nothing_is_stored(panel, make):
    login(panel, make.admin("admin"))
    event = make.event()
    before = stored_files()
    r = _upload(panel, event.id, ("会议纪要".encode() * 50, "纪要.jpg"), (image_bytes("PNG"), "伪装.jpg"))
    assert r.status_code == 302
    page = panel.get(f"{BASE}/{event.id}").get_data(as_text=True)
    assert "纪要.jpg：无法识别的图片" in page and "伪装.jpg：文件类型与内容不符" in page
    assert _photos(event) == [] and stored_files() == before


def test_a_reviewer_sees_but_may_neither_upload_nor_delete(panel, make):
    event = make.event()
    photo, _ = photos.store_photo(event, image_bytes("JPEG"), "a.jpg", "image/jpeg", "")
    reviewer = _as(panel, make, "reviewer")
    page = reviewer.get(f"{BASE}/{event.id}").get_data(as_text=True)
    assert photos.thumb_url(photo) in page and "photo-upload-form" not in page and "photo-delete-form" not in page
    assert _upload(reviewer, event.id, (image_bytes("JPEG"), "a.jpg")).status_code == 403
    assert reviewer.post(f"{BASE}/{event.id}/photos/{photo.id}/delete").status_code == 403
    assert len(_photos(event)) == 1
    editor = _as(panel, make, "editor")
    assert editor.post(f"{BASE}/{event.id}/photos/{photo.id}/delete").status_code == 403
    assert len(_photos(event)) == 1


def test_an_admin_deletes_it_is_audited_and_the_file_goes_when_no_longer_used(panel, make):
    boss = make.admin("admin")
    login(panel, boss)
    first, second = make.event(), make.event()
    data = image_bytes("JPEG")
    a, _ = photos.store_photo(first, data, "a.jpg", "image/jpeg", "签到处")
    b, _ = photos.store_photo(second, data, "a.jpg", "image/jpeg", "")
    files = {photos.photo_path(a.sha256, "jpg"), photos.thumb_path(a.sha256)}
    a_id, b_id = a.id, b.id

    page = panel.get(f"{BASE}/{first.id}").get_data(as_text=True)
    assert re.search(r'class="mt-2 photo-delete-form"\s+data-confirm="确定删除这张照片吗', page)
    r = panel.post(f"{BASE}/{first.id}/photos/{a_id}/delete")
    assert r.status_code == 302
    assert _photos(first) == [] and files <= stored_files()  # the other event still uses the file
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "event_photo", AuditLog.entity_id == str(a_id)))
    assert entry.action == "delete" and entry.admin_id == boss.id

    assert panel.post(f"{BASE}/{first.id}/photos/{b_id}/delete").status_code == 404  # not this event's photo
    assert panel.post(f"{BASE}/{second.id}/photos/{b_id}/delete").status_code == 302
    assert _photos(second) == [] and not files & stored_files()
    assert panel.get(photos.photo_url(b)).status_code == 404


def test_the_index_lists_events_with_photo_counts_in_the_same_queries_however_many(panel, make, count_queries):
    login(panel, make.admin("reviewer"))
    events = [make.event(title=f"普法宣讲第{i}场") for i in range(3)]
    for i, event in enumerate(events):
        for _ in range(i):
            photos.store_photo(event, image_bytes("JPEG"), "a.jpg", "image/jpeg", "")
    panel.get(BASE + "/")  # the signed-in account is loaded once, as in any session
    with count_queries() as few:
        panel.get(BASE + "/")
    for _ in range(5):
        photos.store_photo(make.event(), image_bytes("JPEG"), "a.jpg", "image/jpeg", "")
    panel.get(BASE + "/")  # each store committed, so the account is loaded again once
    with count_queries() as more:
        page = panel.get(BASE + "/").get_data(as_text=True)
    assert len(few) == len(more)
    for i, event in enumerate(events):
        row = re.search(rf'<tr data-event-id="{event.id}">.*?</tr>', page, re.S).group(0)
        assert f"{BASE}/{event.id}" in row and f'<td class="text-right photo-count">{i}</td>' in row


def test_anonymous_visitors_are_sent_to_log_in(panel, make):
    event = make.event()
    r = panel.get(f"{BASE}/{event.id}")
    assert r.status_code == 302 and "/admin/auth/login" in r.headers["Location"] and "next=" in r.headers["Location"]
    assert panel.post(f"{BASE}/{event.id}/upload").status_code in (302, 403)
    assert panel.get(f"{BASE}/999999").status_code == 302
