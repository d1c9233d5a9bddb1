"""The accounts whose API tokens no longer count: deleted ones (注销, accounts.privacy),
each with when it was deleted, so a token issued before then is refused.

A token is checked without the database (accounts.tokens), so a deletion has to be told
to every process that checks tokens: in Redis when REDIS_URL is set (shared by every app
server and worker; one EXISTS per authenticated request), and always in this process's
memory (the only place needed without Redis, in development; production requires
REDIS_URL on any database, core.config). A process learns,
at its first token check, the accounts deleted within a token's lifetime (an older
deletion has no live token left), so a restarted worker, or a Redis that lost its keys,
refuses them again."""
import logging
from datetime import datetime, timedelta, timezone

from flask import current_app
from sqlalchemy import select

from accounts.models import User
from core.extensions import db
from core.timeutil import utcnow

log = logging.getLogger(__name__)


class Revoked:
    def __init__(self, app):
        self.local: dict[int, float] = {}  # user id: when deleted (epoch seconds)
        self.ttl = app.config["TOKEN_TTL_SECONDS"]
        self.prefix = f"{app.config.get('RATELIMIT_KEY_PREFIX', 'pufa')}:revoked:"
        self.redis = None
        if app.config.get("REDIS_URL"):
            import redis

            self.redis = redis.Redis.from_url(app.config["REDIS_URL"], socket_timeout=1, socket_connect_timeout=1)
        self.learned = False

    def learn(self) -> None:
        """Note the accounts deleted within a token's lifetime (at the process's first check)."""
        since = utcnow() - timedelta(seconds=self.ttl)
        for user_id, deleted_at in db.session.execute(select(User.id, User.deleted_at).where(User.deleted_at >= since)):
            self.note(user_id, _epoch(deleted_at))
        self.learned = True

    def note(self, user_id: int, deleted: float) -> None:
        self.local[user_id] = deleted
        if self.redis is not None:
            try:
                # Kept while a token issued before the deletion could still be live.
                keep = max(int(deleted + self.ttl - datetime.now(timezone.utc).timestamp()), 1)
                self.redis.set(self.prefix + str(user_id), repr(deleted), ex=keep)
            except self.errors():
                log.warning("Redis unreachable: account %s revoked in this process only", user_id, exc_info=True)

    def holds(self, user_id: int, issued: float) -> bool:
        """Whether a token of this account issued at `issued` (epoch seconds) is refused."""
        if not self.learned:
            self.learn()
        deleted = self.local.get(user_id)
        if deleted is None and self.redis is not None:
            try:
                value = self.redis.get(self.prefix + str(user_id))
                deleted = float(value) if value is not None else None
            except self.errors():
                # Redis is the only news of deletions made by other processes: ask the database.
                log.warning("Redis unreachable: revocation checked in the database", exc_info=True)
                at = db.session.scalar(select(User.deleted_at).where(User.id == user_id))
                deleted = _epoch(at) if at is not None else None
        return deleted is not None and issued <= deleted

    @staticmethod
    def errors():
        import redis

        return redis.RedisError


def init_app(app) -> None:
    # Nothing is read here: an app is also made for commands run before the database
    # exists (migrations, restores); the deleted accounts are read at the first check.
    app.extensions["pufa_revoked"] = Revoked(app)


def _epoch(naive_utc: datetime) -> float:
    return naive_utc.replace(tzinfo=timezone.utc).timestamp()


def revoke(user_id: int, deleted_at: datetime) -> None:
    """Every token of this account issued before `deleted_at` (naive UTC) stops working,
    in every process that checks tokens."""
    current_app.extensions["pufa_revoked"].note(user_id, _epoch(deleted_at))


def is_revoked(user_id: int, issued: float) -> bool:
    return current_app.extensions["pufa_revoked"].holds(user_id, issued)
