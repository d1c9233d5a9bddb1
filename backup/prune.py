"""`flask backup prune DIR --keep N`: the N newest complete backups in DIR stay, the older
complete ones are deleted.

Complete is what a restore would accept: manifest.json reads, names the database file,
and every file it lists is there with its size and SHA-256. Nothing else in DIR is ever
deleted: a directory without a manifest (a backup still being written, or not a backup
at all), a damaged backup, a link or a plain file are left as they are, and the first
two are named, since pruning must never lose what it cannot vouch for."""
import os
import shutil
from dataclasses import dataclass, field

from backup import BackupError, manifest


@dataclass
class Pruned:
    kept: list[str] = field(default_factory=list)  # newest first
    deleted: list[str] = field(default_factory=list)
    damaged: list[tuple[str, str]] = field(default_factory=list)  # (name, why)
    unknown: list[str] = field(default_factory=list)  # directories with no manifest


def prune(directory: str, keep: int) -> Pruned:
    if keep < 1:
        raise BackupError(f"--keep 至少为 1（现为 {keep}）：清理后至少保留最新的一份完整备份。")
    if not os.path.isdir(directory):
        raise BackupError(f"{directory} 不是目录。")
    found, done = [], Pruned()
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        if not os.path.lexists(os.path.join(path, manifest.NAME)):
            done.unknown.append(name)
            continue
        try:
            made = manifest.read(path)
            problems = manifest.damaged(path, made)
            if made["database"]["file"] not in {item["path"] for item in made["files"]}:
                problems.append("清单没有列出数据库文件")
        except (BackupError, OSError) as exc:
            problems = [str(exc)]
        except (KeyError, TypeError, AttributeError):  # a manifest's entries not as written
            problems = [f"{manifest.NAME} 中的文件清单格式不对"]
        if problems:
            done.damaged.append((name, "；".join(problems)))
        else:
            found.append((str(made["created_at"]), name))
    found.sort(reverse=True)  # ISO times in UTC: newest first
    done.kept = [name for _, name in found[:keep]]
    for _, name in found[keep:]:
        shutil.rmtree(os.path.join(directory, name))
        done.deleted.append(name)
    return done
