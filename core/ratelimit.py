"""Rate limits on the calls worth abusing (logging in, answering, trying cadre binding
codes), counted by the `limits` library: in memory by default, in Redis when REDIS_URL
is set, so that every app server shares the counts.

`limits` is the library under Flask-Limiter, used here without Flask-Limiter's layer:
with limits on, its hooks on every request and its per-request resolution of which
limits apply cost a third of an answer's CPU (0.86 of 2.57 million instructions an
answer, measured with callgrind; bench/RESULTS.md). Here a limit is one storage hit,
on the views that have one."""
import logging
import time
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from core.errors import ApiError

log = logging.getLogger(__name__)


def remote_address() -> str:
    return request.remote_addr or "unknown"


@dataclass
class _AppLimits:
    enabled: bool
    prefix: str
    counter: FixedWindowRateLimiter  # its .storage holds the counts


class RateLimiter:
    """Bound to an app by `init_app`; `limit` decorates a view."""

    def init_app(self, app) -> None:
        app.extensions["rate_limits"] = _AppLimits(
            enabled=app.config["RATELIMIT_ENABLED"], prefix=app.config.get("RATELIMIT_KEY_PREFIX", "pufa"),
            counter=FixedWindowRateLimiter(storage_from_string(app.config["RATELIMIT_STORAGE_URI"])),
        )

    def limit(self, setting: str, key=remote_address):
        """Let the view run `app.config[setting]` times ("60 per minute") per `key()`,
        then answer 429 too_many_requests, with Retry-After, until the window ends."""

        def decorate(view):
            scope = view.__name__

            @wraps(view)
            def limited(*args, **kwargs):
                state = current_app.extensions["rate_limits"]
                if state.enabled:
                    _check(state, _parse(current_app.config[setting]), scope, key())
                return view(*args, **kwargs)

            return limited

        return decorate

    def reset(self) -> None:
        """Forget every count."""
        current_app.extensions["rate_limits"].counter.storage.reset()


limiter = RateLimiter()


@lru_cache(maxsize=32)
def _parse(text: str) -> RateLimitItem:
    return parse(text)


def _check(state: _AppLimits, item: RateLimitItem, scope: str, key: str) -> None:
    try:
        if state.counter.hit(item, state.prefix, scope, key):
            return
        reset_at = state.counter.get_window_stats(item, state.prefix, scope, key).reset_time
    except state.counter.storage.base_exceptions:
        # Redis unreachable: serve the request unlimited rather than not at all.
        log.warning("rate limit storage unreachable; %s not limited", scope, exc_info=True)
        return
    error = ApiError(429, "too_many_requests", "操作太频繁，请稍后再试。")
    error.headers = {"Retry-After": str(max(1, int(reset_at - time.time()) + 1))}
    raise error
