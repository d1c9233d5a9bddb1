"""Bearer tokens for the API. Verifying a token needs no database query."""
from apiflask import HTTPTokenAuth

from accounts import tokens
from core.errors import ApiError

auth = HTTPTokenAuth(scheme="Bearer", description="POST /api/v1/auth/login 返回的令牌")


class Principal:
    __slots__ = ("id",)

    def __init__(self, user_id: int):
        self.id = user_id


@auth.verify_token
def verify(token: str):
    user_id = tokens.verify(token) if token else None
    return Principal(user_id) if user_id else None


@auth.error_processor
def unauthorized(error):
    raise ApiError(401, "unauthorized", "登录已失效或未登录，请重新登录。")


def current_user_id() -> int:
    return auth.current_user.id


def per_user() -> str:
    """Rate-limit key: the signed-in user, whatever address they come from."""
    return user_key(current_user_id())


def user_key(user_id: int) -> str:
    return f"user:{user_id}"
