from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.extensions import db
from core.timeutil import utcnow


class Statute(db.Model):
    """A law held in the library, under the short name citations use (《环境保护法》)."""

    __tablename__ = "statute"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)  # 环境保护法
    title: Mapped[str] = mapped_column(String(200))  # 中华人民共和国环境保护法
    # The version citations resolve against; the versions point back at the law, so
    # this key is added after both tables exist (and lets go of a version deleted).
    current_version_id: Mapped[int | None] = mapped_column(ForeignKey("statute_version.id", use_alter=True, ondelete="SET NULL"))

    def __str__(self) -> str:
        return self.name


class StatuteVersion(db.Model):
    """One imported text of a law, as in force from its version date."""

    __tablename__ = "statute_version"
    id: Mapped[int] = mapped_column(primary_key=True)
    statute_id: Mapped[int] = mapped_column(ForeignKey("statute.id"))
    version_date: Mapped[date] = mapped_column(Date)
    filename: Mapped[str] = mapped_column(String(255))
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)
    admin_id: Mapped[int | None] = mapped_column(ForeignKey("admin_user.id"))
    article_count: Mapped[int] = mapped_column(default=0)

    __table_args__ = (UniqueConstraint("statute_id", "version_date", name="uq_statute_version_date"),)


class Article(db.Model):
    """An article of one version: 第N条 (sub 0) or 第N条之M (sub M), with the headings it sits under."""

    __tablename__ = "statute_article"
    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("statute_version.id", ondelete="CASCADE"))
    number: Mapped[int]
    sub: Mapped[int] = mapped_column(default=0)
    label: Mapped[str] = mapped_column(String(40))  # 第一百二十条之一
    part: Mapped[str] = mapped_column(String(100), default="")  # 编
    subpart: Mapped[str] = mapped_column(String(100), default="")  # 分编
    chapter: Mapped[str] = mapped_column(String(100), default="")  # 章
    section: Mapped[str] = mapped_column(String(100), default="")  # 节
    text: Mapped[str] = mapped_column(Text)  # its paragraphs joined by "\n", without the label
    position: Mapped[int]

    # Resolving a citation is one lookup on this key (with the law's current version).
    __table_args__ = (UniqueConstraint("version_id", "number", "sub", name="uq_statute_article_number"),)
