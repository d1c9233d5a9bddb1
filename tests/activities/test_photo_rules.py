"""Who may upload an event's photos from the mini-program (cadres of the organising
unit, 谁执法谁普法), and that deleting a photo never takes a stored file another row
still uses (another event's photo, a reward's picture)."""
import io

from sqlalchemy import func, select

from activities import photos
from activities.models import EventPhoto
from core.extensions import db
from tests.activities.photo_helpers import image_bytes, stored_files


def _post(client, event_id, data):
    return client.post(f"/events/{event_id}/photos", data={"file": (io.BytesIO(data), "现场.jpg", "image/jpeg")},
                       content_type="multipart/form-data")


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(EventPhoto))


# -- who uploads ---------------------------------------------------------------------


def test_a_cadre_of_another_unit_gets_403_not_organiser_and_nothing_is_stored(api, make):
    police, justice = make.org_unit(kind="department", name="派出所"), make.org_unit(kind="department", name="司法所")
    event = make.event(org_unit=police, title="6·26国际禁毒日集中宣传")
    outsider = api.as_user(make.cadre(make.user(), org_unit=justice).user)
    before = stored_files()
    r = _post(outsider, event.id, image_bytes("JPEG"))
    assert r.status_code == 403
    body = r.get_json()
    assert body["code"] == "not_organiser" and "派出所" in body["message"] and set(body) == {"code", "message", "details"}
    assert stored_files() == before and _count() == 0

    insider = api.as_user(make.cadre(make.user(), org_unit=police).user)
    assert _post(insider, event.id, image_bytes("JPEG")).status_code == 201


def test_the_roster_decides_the_unit_not_the_profile(api, make):
    police, justice = make.org_unit(kind="department", name="派出所"), make.org_unit(kind="department", name="司法所")
    event = make.event(org_unit=police)
    cadre = api.as_user(make.cadre(make.user(), org_unit=justice).user)
    # Anyone may set their own profile's unit; that does not make them the organiser.
    assert cadre.patch("/me", json={"org_unit_id": police.id}).status_code == 200
    r = _post(cadre, event.id, image_bytes("JPEG"))
    assert r.status_code == 403 and r.get_json()["code"] == "not_organiser"


def test_a_resident_still_gets_403_forbidden(api, make):
    unit = make.org_unit(kind="department")
    resident = api.as_user(make.user(org_unit_id=unit.id))
    r = _post(resident, make.event(org_unit=unit).id, image_bytes("JPEG"))
    assert r.status_code == 403 and r.get_json()["code"] == "forbidden"


def test_not_organiser_is_documented(client):
    op = client.get("/openapi.json").get_json()["paths"]["/api/v1/events/{event_id}/photos"]["post"]
    assert "not_organiser" in op["responses"]["403"]["description"]


# -- deleting keeps what is still used -------------------------------------------------


def test_deleting_a_photo_keeps_the_file_of_a_reward_with_the_same_image(make):
    data = image_bytes("JPEG")
    sha256, mime = photos.store_image(data, "奖品.jpg", "image/jpeg")
    reward = make.reward(image_sha256=sha256, image_mime=mime)
    photo, _ = photos.store_photo(make.event(), data, "现场.jpg", "image/jpeg")
    db.session.commit()
    files = {photos.photo_path(sha256, "jpg"), photos.thumb_path(sha256)}

    photos.delete_photo(photo, None)
    db.session.commit()
    assert files <= stored_files()

    # With the reward's picture gone too, nothing names the file: the next delete of a
    # photo of it takes it.
    reward.image_sha256 = reward.image_mime = None
    again, _ = photos.store_photo(make.event(), data, "现场.jpg", "image/jpeg")
    db.session.commit()
    photos.delete_photo(again, None)
    db.session.commit()
    assert not files & stored_files()


def test_file_in_use_looks_at_every_table_that_names_a_stored_file():
    # A table storing images here must be listed; these are all there are.
    named = {(c.class_.__tablename__, c.key) for c in photos.FILE_COLUMNS}
    assert named == {("event_photo", "sha256"), ("reward", "image_sha256")}
