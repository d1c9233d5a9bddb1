"""Event photos: checked by content, stored once by SHA-256, served at names the
server made; uploaded by cadres through the API."""
import hashlib
import io
import os
import re
from datetime import datetime

import pytest
from PIL import Image
from sqlalchemy import func, select

from accounts.models import AuditLog
from activities import photos
from activities.models import EventPhoto
from core.domain_errors import Invalid
from core.extensions import db
from core.transactions import writing
from tests.activities.photo_helpers import image_bytes, png_header_only, stored_files


def _count(event=None) -> int:
    stmt = select(func.count()).select_from(EventPhoto)
    if event is not None:
        stmt = stmt.where(EventPhoto.event_id == event.id)
    return db.session.scalar(stmt)


# -- the domain --------------------------------------------------------------------


@pytest.mark.parametrize("fmt,mime,ext", [("JPEG", "image/jpeg", "jpg"), ("PNG", "image/png", "png"), ("WEBP", "image/webp", "webp")])
def test_jpeg_png_and_webp_are_stored_by_hash_with_a_thumbnail(make, fmt, mime, ext):
    event = make.event()
    data = image_bytes(fmt, size=(800, 600))
    before = stored_files()
    photo, created = photos.store_photo(event, data, f"现场.{ext}", mime, "  宣讲现场  ")
    assert created and photo.id
    assert (photo.mime_type, photo.size_bytes, photo.width, photo.height) == (mime, len(data), 800, 600)
    assert photo.caption == "宣讲现场" and photo.taken_at is None
    assert photo.sha256 == hashlib.sha256(data).hexdigest()
    original, thumb = photos.photo_path(photo.sha256, ext), photos.thumb_path(photo.sha256)
    assert stored_files() - before == {original, thumb}
    assert original.endswith(os.path.join("photos", photo.sha256[:2], f"{photo.sha256}.{ext}"))
    assert open(original, "rb").read() == data
    with Image.open(thumb) as t:
        assert t.format == "JPEG" and t.size == (480, 360)
    assert photos.photo_url(photo) == f"/media/photos/{photo.sha256}.{ext}"
    assert photos.thumb_url(photo) == f"/media/thumbs/{photo.sha256}.jpg"


def test_a_png_with_transparency_gets_a_white_thumbnail_background(make):
    img = Image.new("RGBA", (40, 40), (0, 0, 0, 0))
    img.putpixel((0, 0), (255, 0, 0, 255))
    img.putpixel((1, 0), (os.urandom(1)[0], 0, 0, 255))  # a file never stored before
    out = io.BytesIO()
    img.save(out, "PNG")
    photo, _ = photos.store_photo(make.event(), out.getvalue(), "logo.png", "image/png", "")
    with Image.open(photos.thumb_path(photo.sha256)) as t:
        assert t.mode == "RGB" and t.getpixel((20, 20)) == (255, 255, 255)


@pytest.mark.parametrize("taken,offset,expected", [
    ("2025:12:04 09:30:00", None, datetime(2025, 12, 4, 1, 30)),       # Beijing time, the township's zone
    ("2025:06:26 00:15:00", None, datetime(2025, 6, 25, 16, 15)),      # past midnight local: the day before in UTC
    ("2025:06:26 08:00:00", "+09:00", datetime(2025, 6, 25, 23, 0)),   # the camera said its zone
    ("0000:00:00 00:00:00", None, None),                              # an unset camera clock
    ("yesterday", None, None),
])
def test_taken_time_comes_from_exif_local_time_and_is_stored_as_utc(make, taken, offset, expected):
    photo, _ = photos.store_photo(make.event(), image_bytes("JPEG", taken=taken, offset=offset), "a.jpg", "image/jpeg", "")
    assert photo.taken_at == expected


def test_exif_datetime_is_used_when_there_is_no_datetime_original(make):
    img = Image.frombytes("RGB", (30, 20), os.urandom(30 * 20 * 3))
    exif = Image.Exif()
    exif[0x0132] = "2024:03:22 14:00:00"  # DateTime (IFD0)
    out = io.BytesIO()
    img.save(out, "WEBP", exif=exif)
    photo, _ = photos.store_photo(make.event(), out.getvalue(), "water-week.webp", "image/webp", "")
    assert photo.taken_at == datetime(2024, 3, 22, 6, 0)


def test_thumbnail_is_turned_upright_by_the_exif_orientation(make):
    # Orientation 6: the camera was held upright; the pixels lie on their side.
    photo, _ = photos.store_photo(make.event(), image_bytes("JPEG", size=(600, 400), orientation=6), "a.jpg", None, "")
    assert (photo.width, photo.height) == (600, 400)  # the original is kept as sent
    with Image.open(photos.thumb_path(photo.sha256)) as t:
        assert t.size == (320, 480)


def _truncated(fmt):
    data = image_bytes(fmt, size=(300, 200), **({"quality": 95} if fmt == "JPEG" else {}))
    return data[: len(data) * 2 // 3]


REFUSED = [
    ("text", lambda: "第一条 为了保护民事主体的合法权益……".encode() * 20, "notes.jpg", "image/jpeg", "invalid_image"),
    ("gif", lambda: image_bytes("GIF"), "anim.gif", "image/gif", "invalid_image"),
    ("truncated jpeg", lambda: _truncated("JPEG"), "a.jpg", "image/jpeg", "invalid_image"),
    ("truncated png", lambda: _truncated("PNG"), "a.png", "image/png", "invalid_image"),
    ("empty", lambda: b"", "a.jpg", "image/jpeg", "invalid_image"),
    ("png sent as jpeg", lambda: image_bytes("PNG"), "a.png", "image/jpeg", "type_mismatch"),
    ("png named .jpg", lambda: image_bytes("PNG"), "a.jpg", "application/octet-stream", "type_mismatch"),
    ("jpeg named .txt", lambda: image_bytes("JPEG"), "a.txt", None, "type_mismatch"),
    ("10 MB + 1", lambda: image_bytes("JPEG").ljust(photos.MAX_BYTES + 1, b"\0"), "a.jpg", "image/jpeg", "file_too_large"),
    ("bomb header", lambda: png_header_only(100_000, 100_000), "a.png", "image/png", "image_too_large"),
]


@pytest.mark.parametrize("data,filename,claimed,code", [r[1:] for r in REFUSED], ids=[r[0] for r in REFUSED])
def test_refused_uploads_store_nothing(make, data, filename, claimed, code):
    event = make.event()
    before = stored_files()
    with pytest.raises(Invalid) as exc:
        photos.store_photo(event, data(), filename, claimed, "")
    assert exc.value.code == code
    assert re.search(r"[\u4e00-\u9fff]", exc.value.message)
    assert stored_files() == before and _count() == 0


def test_exactly_ten_megabytes_is_accepted(make):
    data = image_bytes("JPEG").ljust(photos.MAX_BYTES, b"\0")  # decoders ignore what follows the image
    photo, created = photos.store_photo(make.event(), data, "a.jpg", "image/jpeg", "")
    assert created and photo.size_bytes == photos.MAX_BYTES


def test_more_pixels_than_pillow_allows_is_refused(make, monkeypatch):
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    before = stored_files()
    with pytest.raises(Invalid) as exc:
        photos.store_photo(make.event(), image_bytes("PNG", size=(64, 48)), "a.png", "image/png", "")
    assert exc.value.code == "image_too_large"
    assert stored_files() == before and _count() == 0


def test_generic_or_missing_claims_do_not_count_against_a_good_image(make):
    event = make.event()
    for filename, claimed in [("wx-tmp", None), ("tmp_4c2f.jpeg", "application/octet-stream"), ("IMG_0001.JPG", "image/jpg"), ("", "")]:
        photo, created = photos.store_photo(event, image_bytes("JPEG"), filename, claimed, "")
        assert created


def test_same_file_twice_to_one_event_is_one_row_and_to_another_event_shares_the_file(make):
    first, second = make.event(), make.event()
    data = image_bytes("JPEG")
    before = stored_files()
    photo, created = photos.store_photo(first, data, "a.jpg", "image/jpeg", "第一次")
    again, created_again = photos.store_photo(first, data, "copy.jpg", "image/jpeg", "第二次")
    assert created and not created_again and again.id == photo.id and again.caption == "第一次"
    other, created_other = photos.store_photo(second, data, "a.jpg", "image/jpeg", "")
    assert created_other and other.id != photo.id and other.sha256 == photo.sha256
    assert len(stored_files() - before) == 2  # one original, one thumbnail
    assert _count(first) == 1 and _count(second) == 1


def test_a_duplicate_racing_another_upload_finds_the_row_that_won(make, monkeypatch):
    event = make.event()
    data = image_bytes("JPEG")
    first, _ = photos.store_photo(event, data, "a.jpg", "image/jpeg", "")
    looked_up, real = [], photos._existing

    def too_early(event_id, sha256):  # the first look ran before the other upload's row was there
        looked_up.append(sha256)
        return None if len(looked_up) == 1 else real(event_id, sha256)

    monkeypatch.setattr(photos, "_existing", too_early)
    again, created = photos.store_photo(event, data, "a.jpg", "image/jpeg", "")
    assert not created and again.id == first.id and len(looked_up) == 2
    assert _count(event) == 1 and db.session.get(EventPhoto, first.id) is not None  # the session carries on


def test_a_stored_file_that_exists_is_not_rewritten(make):
    data = image_bytes("PNG")
    photo, _ = photos.store_photo(make.event(), data, "a.png", "image/png", "")
    path = photos.photo_path(photo.sha256, "png")
    os.utime(path, (1_000_000_000, 1_000_000_000))
    photos.store_photo(make.event(), data, "a.png", "image/png", "")
    assert os.stat(path).st_mtime == 1_000_000_000


def test_delete_keeps_a_shared_file_until_its_last_row_goes_and_is_audited(make):
    admin = make.admin("admin")
    first, second = make.event(), make.event()
    data = image_bytes("JPEG")
    a, _ = photos.store_photo(first, data, "a.jpg", "image/jpeg", "")
    b, _ = photos.store_photo(second, data, "a.jpg", "image/jpeg", "")
    files = {photos.photo_path(a.sha256, "jpg"), photos.thumb_path(a.sha256)}
    a_id = a.id

    photos.delete_photo(a, admin.id)
    assert files <= stored_files() and db.session.get(EventPhoto, a_id) is None
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity == "event_photo", AuditLog.entity_id == str(a_id)))
    assert entry.action == "delete" and entry.admin_id == admin.id

    with writing():
        photos.delete_photo(b, admin.id)
        assert files <= stored_files()  # not before the delete is committed
    assert not files & stored_files()


def test_a_rolled_back_delete_keeps_the_files(make):
    photo, _ = photos.store_photo(make.event(), image_bytes("JPEG"), "a.jpg", "image/jpeg", "")
    files = {photos.photo_path(photo.sha256, "jpg"), photos.thumb_path(photo.sha256)}
    with pytest.raises(RuntimeError), writing():
        photos.delete_photo(photo, None)
        raise RuntimeError("the unit fails after the delete")
    assert files <= stored_files() and db.session.get(EventPhoto, photo.id) is not None


# -- the API -----------------------------------------------------------------------


def _post(client, event_id, data, filename="photo.jpg", content_type="image/jpeg", caption=None):
    form = {"file": (io.BytesIO(data), filename, content_type)}
    if caption is not None:
        form["caption"] = caption
    return client.post(f"/events/{event_id}/photos", data=form, content_type="multipart/form-data")


@pytest.fixture
def unit(make):
    """The unit organising the events these cadres photograph."""
    return make.org_unit(kind="department", name="镇司法所")


@pytest.fixture
def cadre(api, make, unit):
    return api.as_user(make.cadre(make.user(), org_unit=unit).user)


@pytest.mark.parametrize("fmt,filename,content_type", [("JPEG", "IMG_2041.jpg", "image/jpeg"), ("PNG", "screen.png", "image/png"),
                                                      ("WEBP", "wx.webp", "image/webp")])
def test_a_cadre_uploads_a_photo_and_it_is_served(client, cadre, make, fmt, filename, content_type, unit):
    event = make.event(org_unit=unit)
    data = image_bytes(fmt, size=(1000, 750), taken="2025:12:04 10:00:00")
    r = _post(cadre, event.id, data, filename, content_type, caption="宪法宣传日现场")
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["event_id"] == event.id and body["caption"] == "宪法宣传日现场"
    assert body["taken_at"] == "2025-12-04T10:00:00+08:00"
    assert (body["width"], body["height"], body["size_bytes"]) == (1000, 750, len(data))
    assert body["url"] == f"/media/photos/{body['sha256']}.{filename.rsplit('.', 1)[1]}"

    served = client.get(body["url"])
    assert served.status_code == 200 and served.data == data and served.mimetype == content_type
    assert "max-age=31536000" in served.headers["Cache-Control"] and "immutable" in served.headers["Cache-Control"]
    thumb = client.get(body["thumb_url"])
    assert thumb.status_code == 200 and thumb.mimetype == "image/jpeg"
    with Image.open(io.BytesIO(thumb.data)) as t:
        assert t.size == (480, 360)


def test_the_same_photo_again_answers_200_with_the_same_row_and_another_event_gets_its_own(cadre, make, unit):
    first, second = make.event(org_unit=unit), make.event(org_unit=unit)
    data = image_bytes("JPEG")
    before = stored_files()
    r1 = _post(cadre, first.id, data)
    r2 = _post(cadre, first.id, data, filename="again.jpg")
    assert (r1.status_code, r2.status_code) == (201, 200) and r1.get_json()["id"] == r2.get_json()["id"]
    r3 = _post(cadre, second.id, data)
    assert r3.status_code == 201 and r3.get_json()["id"] != r1.get_json()["id"]
    assert r3.get_json()["url"] == r1.get_json()["url"]
    assert len(stored_files() - before) == 2 and _count(first) == 1 and _count(second) == 1


@pytest.mark.parametrize("data,filename,content_type,code", [
    (lambda: "不是图片".encode() * 100, "a.jpg", "image/jpeg", "invalid_image"),
    (lambda: _truncated("JPEG"), "a.jpg", "image/jpeg", "invalid_image"),
    (lambda: image_bytes("PNG"), "a.png", "image/jpeg", "type_mismatch"),
    (lambda: image_bytes("PNG"), "a.jpg", "application/octet-stream", "type_mismatch"),
    (lambda: image_bytes("JPEG").ljust(photos.MAX_BYTES + 1, b"\0"), "a.jpg", "image/jpeg", "file_too_large"),
    # Over the app's MAX_CONTENT_LENGTH: refused before the body is read, in the same terms.
    (lambda: image_bytes("JPEG").ljust(13 * 1024 * 1024, b"\0"), "a.jpg", "image/jpeg", "file_too_large"),
], ids=["text", "truncated", "png-as-jpeg-type", "png-as-jpg-name", "10MB+1", "13MB"])
def test_api_refusals_are_422_and_store_nothing(cadre, make, data, filename, content_type, code, unit):
    event = make.event(org_unit=unit)
    before = stored_files()
    r = _post(cadre, event.id, data(), filename, content_type)
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == code and set(body) == {"code", "message", "details"}
    assert stored_files() == before and _count() == 0


def test_caption_over_200_characters_and_a_missing_file_are_validation_errors(cadre, make, unit):
    event = make.event(org_unit=unit)
    r = _post(cadre, event.id, image_bytes("JPEG"), caption="长" * 201)
    assert r.status_code == 422 and "caption" in r.get_json()["details"]
    r = cadre.post(f"/events/{event.id}/photos", data={"caption": "没有文件"}, content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.get_json()["details"]
    assert _count() == 0


def test_a_resident_may_not_upload(api, make, unit):
    event = make.event(org_unit=unit)
    before = stored_files()
    r = _post(api.as_user(make.user()), event.id, image_bytes("JPEG"))
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"
    assert stored_files() == before and _count() == 0


def test_unknown_event_and_anonymous_upload(api, cadre, make, unit):
    r = _post(cadre, 2_000_000_000, image_bytes("JPEG"))
    assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    assert _post(api, make.event(org_unit=unit).id, image_bytes("JPEG")).status_code == 401


@pytest.mark.parametrize("path", [
    "/media/photos/" + "A" * 64 + ".jpg", "/media/photos/" + "a" * 63 + ".jpg", "/media/photos/" + "a" * 64 + ".gif",
    "/media/photos/..%2f..%2fsecret_key", "/media/thumbs/" + "a" * 64 + ".png", "/media/photos/" + "a" * 64 + ".jpg",
])
def test_media_serves_only_names_the_server_made(client, path):
    assert client.get(path).status_code == 404


def test_upload_is_in_the_openapi_document_as_multipart(client):
    op = client.get("/openapi.json").get_json()["paths"]["/api/v1/events/{event_id}/photos"]["post"]
    assert "multipart/form-data" in op["requestBody"]["content"]
    assert {"200", "201", "403", "404", "422"} <= set(op["responses"])
