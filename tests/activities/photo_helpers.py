"""Test images made in memory with Pillow, and a look at what is on disk."""
import io
import os
import struct
import zlib

from flask import current_app
from PIL import ExifTags, Image


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


def stored_files() -> set[str]:
    """Every file under UPLOAD_DIR/photos and UPLOAD_DIR/thumbs (temp files included)."""
    root = current_app.config["UPLOAD_DIR"]
    found = set()
    for kind in ("photos", "thumbs"):
        for dirpath, _, names in os.walk(os.path.join(root, kind)):
            found.update(os.path.join(dirpath, n) for n in names)
    return found
