"""Event photos: the evidence of the township's publicity work.

An upload is checked by its content (JPEG, PNG or WebP, decoded in full, at most
10 MB and a bounded number of pixels), never by the name or type the client sent;
a name or type that disagrees with the content is refused. The file is stored once
under its SHA-256, however often and for however many events it is uploaded:

    UPLOAD_DIR/photos/ab/<sha256>.<jpg|png|webp>   the original, byte for byte
    UPLOAD_DIR/thumbs/ab/<sha256>.jpg              longest side 480 px, EXIF orientation applied

and served by api.media under MEDIA_PREFIX (/media/), at names the server made.
"""
import hashlib
import io
import mimetypes
import os
import re
import tempfile
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from flask import current_app, has_request_context, request
from sqlalchemy import event as sa_event
from sqlalchemy import exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accounts import audit
from accounts.models import Cadre, User
from activities.models import Event, EventPhoto
from core.domain_errors import Forbidden, Invalid, NotFound
from core.extensions import db
from core.timeutil import local_zone
from core.transactions import writes, writing
from points.models import Reward

# heavy: Pillow is imported where used
if TYPE_CHECKING:
    from PIL import Image

MAX_BYTES = 10 * 1024 * 1024
# A photo from a 50-megapixel phone camera fits; a small file that would decode to
# gigabytes (a decompression bomb) does not. Pillow's own limit applies too.
MAX_PIXELS = 60_000_000
THUMB_SIZE = 480
CAPTION_MAX = 200

# Pillow format -> (MIME type, extension of the stored file)
FORMATS = {"JPEG": ("image/jpeg", "jpg"), "PNG": ("image/png", "png"), "WEBP": ("image/webp", "webp")}
MIME_EXTENSIONS = {mime: ext for mime, ext in FORMATS.values()}
MEDIA_PREFIX = "/media"  # where api.media serves photos/ and thumbs/
# What a client may say about a file, and the format that claim names.
CLAIMED_TYPES = {
    "image/jpeg": "JPEG", "image/jpg": "JPEG", "image/pjpeg": "JPEG",
    "image/png": "PNG", "image/x-png": "PNG", "image/webp": "WEBP",
}
CLAIMED_EXTENSIONS = {"jpg": "JPEG", "jpeg": "JPEG", "jpe": "JPEG", "jfif": "JPEG", "png": "PNG", "webp": "WEBP"}
# Types that say nothing about the content (WeChat and some browsers send these).
GENERIC_TYPES = {"", "application/octet-stream", "binary/octet-stream", "application/unknown"}

MSG_INVALID = "无法识别的图片：只能上传 JPEG、PNG 或 WebP 图片，且文件须完整。"
MSG_TOO_LARGE = "图片过大：每张不能超过 10 MB。"
MSG_TOO_MANY_PIXELS = "图片尺寸过大，请缩小后再上传。"
MSG_MISMATCH = "文件类型与内容不符：文件实际是 {actual} 图片，却标为 {claimed}。请直接上传原图。"


# -- checking --------------------------------------------------------------------


def _claims(filename: str, claimed_type: str | None) -> list[str]:
    """What the client said the file is: its part's Content-Type and its name's extension.
    Returns the claims that name a type (generic ones and unknown extensions say nothing)."""
    claims = []
    mime = (claimed_type or "").split(";", 1)[0].strip().lower()
    if mime not in GENERIC_TYPES:
        claims.append(mime)
    ext = os.path.splitext(filename or "")[1].lstrip(".").lower()
    if ext in CLAIMED_EXTENSIONS:
        claims.append("." + ext)
    elif ext:
        guessed = mimetypes.guess_type("x." + ext)[0]
        if guessed and guessed not in GENERIC_TYPES:
            claims.append("." + ext)
    return claims


def _claim_format(claim: str) -> str | None:
    if claim.startswith("."):
        return CLAIMED_EXTENSIONS.get(claim[1:])
    return CLAIMED_TYPES.get(claim)


class _Checked:
    __slots__ = ("format", "mime_type", "ext", "width", "height", "taken_at", "thumbnail")


def check_image(data: bytes, filename: str = "", claimed_type: str | None = None) -> _Checked:
    """Everything about an upload that decides whether it is kept; raises Invalid
    if not. Decodes the whole image (a truncated file fails here) and makes the
    thumbnail, so that nothing is written for a file that is refused."""
    from PIL import Image

    if len(data) > MAX_BYTES:
        raise Invalid(MSG_TOO_LARGE, {"max_bytes": MAX_BYTES, "size_bytes": len(data)}, code="file_too_large")
    if not data:
        raise Invalid(MSG_INVALID, code="invalid_image")
    max_pixels = min(MAX_PIXELS, Image.MAX_IMAGE_PIXELS or MAX_PIXELS)
    too_many_pixels = Invalid(MSG_TOO_MANY_PIXELS, {"max_pixels": max_pixels}, code="image_too_large")
    try:
        # Image.open reads only the header (and refuses twice Pillow's own limit itself).
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
            fmt = probe.format
            if probe.width * probe.height > max_pixels:
                raise too_many_pixels
            probe.verify()
    except Invalid:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels from None
    except Exception:  # Pillow raises many kinds (UnidentifiedImageError, SyntaxError, OSError, ...)
        raise Invalid(MSG_INVALID, code="invalid_image") from None

    mime_type, ext = FORMATS[fmt]
    for claim in _claims(filename, claimed_type):
        if _claim_format(claim) != fmt:
            raise Invalid(MSG_MISMATCH.format(actual=fmt, claimed=claim), {"actual": mime_type, "claimed": claim},
                          code="type_mismatch")

    checked = _Checked()
    checked.format, checked.mime_type, checked.ext = fmt, mime_type, ext
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            checked.width, checked.height = img.size
            checked.taken_at = taken_at_from_exif(img.getexif())
            checked.thumbnail = _thumbnail(img)
    except Image.DecompressionBombError:
        raise too_many_pixels from None
    except Exception:
        raise Invalid(MSG_INVALID, code="invalid_image") from None
    return checked


def _thumbnail(img: "Image.Image") -> bytes:
    """A JPEG whose longest side is THUMB_SIZE, turned upright. Decoding here is also
    what finds a truncated file (verify() does not, for JPEG)."""
    from PIL import Image, ImageOps

    if img.format == "JPEG":
        # Let libjpeg decode at a reduced scale: it still reads every byte.
        img.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))
    img.load()
    img = ImageOps.exif_transpose(img)
    if img.mode in ("RGBA", "LA") or (img.mode == "P" and "transparency" in img.info):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        img = background
    elif img.mode != "RGB":
        img = img.convert("RGB")
    img.thumbnail((THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=82, optimize=True, progressive=True)
    return out.getvalue()


_EXIF_TIME = re.compile(r"^\s*(\d{4}):(\d{2}):(\d{2})[ T](\d{2}):(\d{2}):(\d{2})")
_EXIF_OFFSET = re.compile(r"^\s*([+-])(\d{2}):(\d{2})\s*$")


def _text(value) -> str:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value or "").replace("\x00", "")


def taken_at_from_exif(exif) -> datetime | None:
    """When the photo was taken, as naive UTC: EXIF DateTimeOriginal (else DateTime).
    Cameras write local time; with no OffsetTimeOriginal/OffsetTime beside it, the
    township's zone is assumed. None when absent or unreadable (0000:00:00 and the like)."""
    if not exif:
        return None
    from PIL import ExifTags

    try:
        sub = exif.get_ifd(ExifTags.IFD.Exif)
    except Exception:
        sub = {}
    candidates = [
        (sub.get(ExifTags.Base.DateTimeOriginal), sub.get(ExifTags.Base.OffsetTimeOriginal)),
        (exif.get(ExifTags.Base.DateTime), sub.get(ExifTags.Base.OffsetTime)),
    ]
    for raw, raw_offset in candidates:
        match = _EXIF_TIME.match(_text(raw))
        if not match:
            continue
        try:
            local = datetime(*(int(part) for part in match.groups()))
        except ValueError:
            continue
        offset = _EXIF_OFFSET.match(_text(raw_offset))
        if offset:
            sign = 1 if offset.group(1) == "+" else -1
            delta = timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3)))
            if delta <= timedelta(hours=14):
                return (local - sign * delta).replace(tzinfo=None)
        try:
            return local.replace(tzinfo=local_zone()).astimezone(timezone.utc).replace(tzinfo=None)
        except (OverflowError, ValueError):
            continue
    return None


# -- storing ---------------------------------------------------------------------


def _upload_dir() -> str:
    return current_app.config["UPLOAD_DIR"]


def photo_path(sha256: str, ext: str) -> str:
    return os.path.join(_upload_dir(), "photos", sha256[:2], f"{sha256}.{ext}")


def thumb_path(sha256: str) -> str:
    return os.path.join(_upload_dir(), "thumbs", sha256[:2], f"{sha256}.jpg")


def _write_once(path: str, data: bytes) -> None:
    """Write atomically (temp file in the same directory, then os.replace); a file that
    is already there has the same content (its name is its hash) and is left alone."""
    if os.path.exists(path):
        return
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except FileNotFoundError:
            pass
        raise


def _keep(data: bytes, sha256: str, checked: _Checked) -> None:
    _write_once(photo_path(sha256, checked.ext), data)
    _write_once(thumb_path(sha256), checked.thumbnail)


def store_image(data: bytes, filename: str, claimed_type: str | None) -> tuple[str, str]:
    """Check and keep an image that is not an event photo (a reward's picture), under
    the same rules and in the same store; returns (sha256, mime type)."""
    checked = check_image(data, filename, claimed_type)
    sha256 = hashlib.sha256(data).hexdigest()
    _keep(data, sha256, checked)
    return sha256, checked.mime_type


class Prepared:
    """An uploaded image checked and kept in the store, ready to be recorded."""

    __slots__ = ("data", "sha256", "checked", "caption")

    def __init__(self, data: bytes, filename: str, claimed_type: str | None, caption: str = ""):
        caption = (caption or "").replace("\x00", "").strip()
        if len(caption) > CAPTION_MAX:
            raise Invalid(f"说明不能超过 {CAPTION_MAX} 个字。", {"caption": [f"不能超过 {CAPTION_MAX} 个字。"]})
        self.checked = check_image(data, filename, claimed_type)
        self.data, self.sha256, self.caption = data, hashlib.sha256(data).hexdigest(), caption
        # Kept before its row exists, outside any unit of work: file I/O never holds a
        # lock. A file whose row never comes is one more file, named by its content.
        _keep(data, self.sha256, self.checked)


def record_photo(event: Event, prepared: Prepared, user_id: int | None = None,
                 admin_id: int | None = None) -> tuple[EventPhoto, bool]:
    """The row of a prepared photo, in the caller's unit of work; returns (photo,
    created). The same file uploaded again to the same event returns the row already
    there (created False); to another event, a new row sharing the stored file."""
    existing = _existing(event.id, prepared.sha256)
    if existing is not None:
        return existing, False
    checked = prepared.checked
    photo = EventPhoto(
        event_id=event.id, sha256=prepared.sha256, mime_type=checked.mime_type, size_bytes=len(prepared.data),
        width=checked.width, height=checked.height, taken_at=checked.taken_at, caption=prepared.caption,
        uploaded_by_user_id=user_id, uploaded_by_admin_id=admin_id,
    )
    try:
        # Two uploads of the same file at once: the second finds the first's row.
        with db.session.begin_nested():
            db.session.add(photo)
    except IntegrityError:
        existing = _existing(event.id, prepared.sha256)
        if existing is None:
            raise
        return existing, False
    return photo, True


def store_photo(event: Event, data: bytes, filename: str, claimed_type: str | None, caption: str = "",
                user_id: int | None = None, admin_id: int | None = None) -> tuple[EventPhoto, bool]:
    """Check, keep and record one photo of an event (see Prepared and record_photo).
    Raises Invalid (invalid_image, file_too_large, type_mismatch, image_too_large), in
    which case nothing is recorded."""
    prepared = Prepared(data, filename, claimed_type, caption)
    with writing():
        return record_photo(event, prepared, user_id, admin_id)


def _existing(event_id: int, sha256: str) -> EventPhoto | None:
    return db.session.scalar(select(EventPhoto).where(EventPhoto.event_id == event_id, EventPhoto.sha256 == sha256))


def upload_by_user(user_id: int, event_id: int, data: bytes, filename: str, claimed_type: str | None,
                   caption: str = "") -> tuple[EventPhoto, bool]:
    """A photo uploaded from the mini-program, by a cadre of the event's organising
    unit (谁执法谁普法: the unit that held it keeps its evidence)."""
    event = db.session.get(Event, event_id)
    if event is None:
        raise NotFound("活动不存在。")
    # The unit is the roster's, which only an admin sets: the profile's unit is the
    # person's own choice (PATCH /me) and proves nothing.
    row = db.session.execute(
        select(User.role, Cadre.org_unit_id).outerjoin(Cadre, (Cadre.user_id == User.id) & Cadre.active.is_(True))
        .where(User.id == user_id)
    ).first()
    if row is None or row.role != "cadre":
        raise Forbidden("只有干部可以上传活动照片。请先在“我的”中绑定干部身份。")
    if row.org_unit_id != event.org_unit_id:
        raise Forbidden(f"只有主办单位“{event.org_unit.name}”的干部可以上传此活动的照片。",
                        {"org_unit": {"id": event.org_unit_id, "name": event.org_unit.name}}, code="not_organiser")
    return store_photo(event, data, filename, claimed_type, caption, user_id=user_id)


# -- deleting --------------------------------------------------------------------

_PENDING = "event_photo_files_to_remove"

# Every column that names a file in this store by its SHA-256. A table that keeps an
# image here (store_image) must be listed, or deleting a photo could take its file.
FILE_COLUMNS = (EventPhoto.sha256, Reward.image_sha256)


def file_in_use(sha256: str) -> bool:
    """Whether any row of any table names this stored file (one statement)."""
    return bool(db.session.scalar(select(or_(*(exists().where(column == sha256) for column in FILE_COLUMNS)))))


def release_file(sha256: str, mime_type: str) -> None:
    """A row naming this file is going: remove the file and its thumbnail when the
    transaction commits, if no row of any table names it any more (a rolled-back
    delete leaves them in place). Call after the row's delete is flushed."""
    if not file_in_use(sha256):
        db.session.info.setdefault(_PENDING, []).extend([photo_path(sha256, MIME_EXTENSIONS[mime_type]), thumb_path(sha256)])


@writes
def delete_photo(photo: EventPhoto, admin_id: int | None) -> None:
    """Delete a photo's row and record it in the audit log, in one unit of work; its
    stored file goes at commit unless another row uses it (release_file)."""
    sha256, mime_type, event_id, photo_id = photo.sha256, photo.mime_type, photo.event_id, photo.id
    summary = f"删除活动 {event_id} 的照片 {sha256[:12]}…（{photo.caption or '无说明'}）"
    db.session.delete(photo)
    audit.record(admin_id, "delete", "event_photo", photo_id, summary)
    db.session.flush()
    release_file(sha256, mime_type)


@sa_event.listens_for(Session, "after_commit")
def _remove_files_after_commit(session) -> None:
    for path in session.info.pop(_PENDING, ()):
        try:
            os.remove(path)
        except FileNotFoundError:
            pass


@sa_event.listens_for(Session, "after_rollback")
def _keep_files_after_rollback(session) -> None:
    session.info.pop(_PENDING, None)


# -- addresses -------------------------------------------------------------------


def photo_url(photo: EventPhoto) -> str:
    """Where the original is served: a path on this server, made from the hash."""
    return image_url(photo.sha256, photo.mime_type)


def image_url(sha256: str, mime_type: str) -> str:
    return _media_url(f"photos/{sha256}.{MIME_EXTENSIONS[mime_type]}")


def thumb_url(photo: EventPhoto) -> str:
    return _media_url(f"thumbs/{photo.sha256}.jpg")


def _media_url(path: str) -> str:
    # In a request, after the prefix the app is mounted under (as url_for would);
    # elsewhere (commands, exports) the path alone.
    root = request.script_root if has_request_context() else ""
    return f"{root}{MEDIA_PREFIX}/{path}"
