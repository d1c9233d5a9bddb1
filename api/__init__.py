"""The mini-program REST API: thin views over the domain services."""
from apiflask import APIBlueprint

bp = APIBlueprint("api", __name__, url_prefix="/api/v1")

from api import accounts, event_photos, events, exams, points, privacy, quizzes, rewards, service, subscriptions  # noqa: E402,F401  (register routes)
