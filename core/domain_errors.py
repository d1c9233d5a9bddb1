"""What the domain packages raise when a request cannot be done: plain Python, no HTTP.

Each kind says why (not found, conflict, ...); `code` is the stable machine-readable
name the mini-program sees, `message` the Chinese sentence shown to the person,
`details` what names the offending fields or values. core.errors turns a kind into
the HTTP status, in one place, for the API and the panel alike.
"""


class DomainError(Exception):
    """Base of every kind below; raise a kind, not this."""

    default_code = "error"

    def __init__(self, message: str, details: dict | None = None, *, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.details = details or {}
        self.code = code or self.default_code

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class Unauthenticated(DomainError):
    """The person is not (or no longer) known: sign in again."""

    default_code = "unauthorized"


class Forbidden(DomainError):
    """Known, but not allowed to do this (not a cadre, not the organiser, out of range)."""

    default_code = "forbidden"


class NotFound(DomainError):
    """No such thing, or not the person's to see."""

    default_code = "not_found"


class Conflict(DomainError):
    """Not possible in the current state (already done, closed, out of stock)."""

    default_code = "conflict"


class Expired(DomainError):
    """Was valid and no longer is (a rotated check-in token)."""

    default_code = "expired"


class Invalid(DomainError):
    """The input itself is wrong; `details` names the fields."""

    default_code = "validation_error"


class UpstreamFailed(DomainError):
    """A service we depend on (WeChat) answered something we cannot use."""

    default_code = "upstream_error"


class Unavailable(DomainError):
    """A service we depend on is down or busy: try again later."""

    default_code = "service_unavailable"


KINDS = (Unauthenticated, Forbidden, NotFound, Conflict, Expired, Invalid, UpstreamFailed, Unavailable)
