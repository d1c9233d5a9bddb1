"""manifest.json: what a backup holds and how to know it is intact."""
import hashlib
import json
import os
import posixpath

from backup import BackupError

NAME = "manifest.json"
FORMAT = 1
UPLOADS = "uploads"  # the uploads' folder inside a backup
CHUNK = 1024 * 1024
REQUIRED = ("created_at", "created_at_beijing", "schema_revision", "database", "tables", "points", "uploads", "files")


def copy_hashed(source: str, target: str) -> tuple[int, str]:
    """Copy a file, hashing it on the way (one read); returns its size and SHA-256."""
    digest, size = hashlib.sha256(), 0
    with open(source, "rb") as src, open(target, "xb") as out:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def hash_file(path: str) -> tuple[int, str]:
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def entry(path: str, size: int, sha256: str) -> dict:
    return {"path": path, "size": size, "sha256": sha256}


def write(directory: str, manifest: dict) -> None:
    with open(os.path.join(directory, NAME), "x", encoding="utf-8") as out:
        json.dump(manifest, out, ensure_ascii=False, indent=2)
        out.write("\n")


def read(directory: str) -> dict:
    path = os.path.join(directory, NAME)
    try:
        with open(path, encoding="utf-8") as src:
            manifest = json.load(src)
    except FileNotFoundError:
        raise BackupError(f"{directory} 中没有 {NAME}：不是备份目录，或备份没有完成。")
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{path} 已损坏，无法读取。")
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是本程序能读取的备份清单（格式版本 {FORMAT}）。")
    missing = [key for key in REQUIRED if key not in manifest]
    if missing or not isinstance(manifest["files"], list) or "file" not in (manifest["database"] or {}):
        raise BackupError(f"{path} 不完整（缺少 {'、'.join(missing) or 'database.file'}），无法恢复。")
    for item in manifest.get("files", []):
        _safe_path(item.get("path"))
    return manifest


def _safe_path(path) -> str:
    """A file named by the manifest stays inside the backup (and, restored, inside UPLOAD_DIR)."""
    if (not isinstance(path, str) or not path or path.startswith("/") or "\\" in path
            or posixpath.normpath(path) != path or path.split("/")[0] in ("..", ".")):
        raise BackupError(f"备份清单中的文件名不合法：{path!r}。")
    return path


def damaged(directory: str, manifest: dict) -> list[str]:
    """Every file of the manifest that is missing or whose size or SHA-256 differs."""
    problems = []
    for item in manifest["files"]:
        path = os.path.join(directory, *item["path"].split("/"))
        try:
            size, sha256 = hash_file(path)
        except FileNotFoundError:
            problems.append(f"{item['path']}：文件缺失")
            continue
        if size != item["size"]:
            problems.append(f"{item['path']}：大小应为 {item['size']} 字节，实为 {size} 字节")
        elif sha256 != item["sha256"]:
            problems.append(f"{item['path']}：SHA-256 校验值不符")
    return problems
