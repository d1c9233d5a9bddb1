"""Test images made in memory with Pillow, events to put them on, and a look at what
is on disk."""
import io
import itertools
import os
import struct
import zlib
from datetime import timedelta

from flask import current_app
from PIL import ExifTags, Image

from activities.models import Event
from core.extensions import db
from core.timeutil import utcnow

_seq = itertools.count(1)


def image_bytes(fmt: str = "JPEG", size: tuple[int, int] = (64, 48), taken: str | None = None,
                offset: str | None = None, orientation: int | None = None, **save) -> bytes:
    """A small image of random pixels: every call gives a file never seen before."""
    img = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3))
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.DateTimeOriginal] = taken
    if offset is not None:
        exif.get_ifd(ExifTags.IFD.Exif)[ExifTags.Base.OffsetTimeOriginal] = offset
    if orientation is not None:
        exif[ExifTags.Base.Orientation] = orientation
    if len(exif) or exif.get_ifd(ExifTags.IFD.Exif):
        exif[ExifTags.Base.Make] = "Pufa Test Camera"  # as cameras do (Pillow's PNG writer drops an EXIF with an empty IFD0)
        save["exif"] = exif.tobytes()
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims enormous dimensions in a few bytes (a decompression bomb's header)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def new_event(make, **kw) -> Event:
    now = utcnow()
    unit = kw.pop("org_unit", None) or make.org_unit(kind="department", name=f"司法所{next(_seq)}")
    event = Event(title=kw.pop("title", f"宪法宣传日活动{next(_seq)}"), kind=kw.pop("kind", "constitution_day"), org_unit_id=unit.id,
                  starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=2),
                  checkin_opens_at=now - timedelta(hours=1), checkin_closes_at=now + timedelta(hours=2),
                  location_name="镇政府广场", **kw)
    db.session.add(event)
    db.session.flush()
    return event


def stored_files() -> set[str]:
    """Every file under UPLOAD_DIR/photos and UPLOAD_DIR/thumbs (temp files included)."""
    root = current_app.config["UPLOAD_DIR"]
    found = set()
    for kind in ("photos", "thumbs"):
        for dirpath, _, names in os.walk(os.path.join(root, kind)):
            found.update(os.path.join(dirpath, n) for n in names)
    return found
