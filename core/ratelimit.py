"""Rate limits on the calls worth abusing (logging in, answering, trying cadre binding
codes), counted by the `limits` library: in the process's memory by default (`local://`,
below), in Redis when REDIS_URL is set, so that every app server shares the counts.

`limits` is the library under Flask-Limiter, used here without Flask-Limiter's layer:
with limits on, its hooks on every request and its per-request resolution of which
limits apply cost a third of an answer's CPU (0.86 of 2.57 million instructions an
answer, measured with callgrind; bench/RESULTS.md). Here a limit is one storage hit,
on the views that have one."""
import logging
import threading
import time
from dataclasses import dataclass
from functools import lru_cache, wraps

from flask import current_app, request
from limits import RateLimitItem, parse
from limits.storage import Storage, storage_from_string
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
                self.check(setting, scope, key())
                return view(*args, **kwargs)

            return limited

        return decorate

    def check(self, setting: str, scope: str, key: str) -> None:
        """Count one call of `scope` (a view's name) by `key`; raise the 429 if it is over
        `app.config[setting]`. What `limit` does before its view runs."""
        state = current_app.extensions["rate_limits"]
        if state.enabled:
            _check(state, _parse(current_app.config[setting]), scope, key)

    def failures_block(self, setting: str, scope: str, key: str) -> int:
        """Seconds until `key` may try `scope` again, having failed `app.config[setting]`
        times in the window ("5 per 15 minutes"); 0 when it may try now. Failures are
        counted by `count_failure`, and this holds whether or not limits are enabled:
        it guards passwords, not capacity."""
        state, item = current_app.extensions["rate_limits"], _parse(current_app.config[setting])
        try:
            if state.counter.test(item, state.prefix, scope, key):
                return 0
            return _seconds_until(state.counter.get_window_stats(item, state.prefix, scope, key).reset_time)
        except state.counter.storage.base_exceptions:
            log.warning("rate limit storage unreachable; %s not throttled", scope, exc_info=True)
            return 0

    def count_failure(self, setting: str, scope: str, key: str) -> None:
        state, item = current_app.extensions["rate_limits"], _parse(current_app.config[setting])
        try:
            state.counter.hit(item, state.prefix, scope, key)
        except state.counter.storage.base_exceptions:
            log.warning("rate limit storage unreachable; %s failure not counted", scope, exc_info=True)

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
    error.headers = {"Retry-After": str(_seconds_until(reset_at))}
    raise error


def _seconds_until(reset_at: float) -> int:
    return max(1, int(reset_at - time.time()) + 1)


class LocalStorage(Storage):
    """`limits` storage "local://": fixed-window counts in this process's memory.

    What `limits`' own "memory://" does for fixed windows, without its expiry thread:
    that storage starts a new thread 10 ms after any count and walks every key in it,
    so under steady load it starts a hundred threads a second, each holding the GIL
    for a walk that grows with the number of users (measured: 30 µs an answer, and the
    answering threads wait for it; bench/RESULTS.md). Here an expired count is
    replaced when its key is next counted, and a walk once a minute drops the rest."""

    STORAGE_SCHEME = ["local"]
    SWEEP_SECONDS = 60.0

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options):
        self._counts: dict[str, list] = {}  # key -> [count, expires at (time.time())]
        self._lock = threading.Lock()
        self._next_sweep = 0.0  # the first count walks the (empty) counts and sets the next walk
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    @property
    def base_exceptions(self):
        return ValueError

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = time.time()
        with self._lock:
            if now >= self._next_sweep:
                self._sweep(now)
            entry = self._counts.get(key)
            if entry is None or entry[1] <= now:
                entry = self._counts[key] = [0, now + expiry]
            entry[0] += amount
            return entry[0]

    def get(self, key: str) -> int:
        entry = self._counts.get(key)
        return entry[0] if entry is not None and entry[1] > time.time() else 0

    def get_expiry(self, key: str) -> float:
        entry = self._counts.get(key)
        return entry[1] if entry is not None else time.time()

    def check(self) -> bool:
        return True

    def reset(self) -> int:
        with self._lock:
            count = len(self._counts)
            self._counts.clear()
            return count

    def clear(self, key: str) -> None:
        with self._lock:
            self._counts.pop(key, None)

    def _sweep(self, now: float) -> None:
        self._counts = {k: e for k, e in self._counts.items() if e[1] > now}
        self._next_sweep = now + self.SWEEP_SECONDS
