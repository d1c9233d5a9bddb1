"""The earning rules and their daily caps: the one place they are set.

Override any of them with the POINTS_RULES setting (a JSON object in the
environment variable of the same name), e.g. {"practice_correct": {"points": 2}}.
"""
import json
import os
from dataclasses import dataclass

from flask import current_app

DEFAULT_RULES = {
    # One daily set a day, so no cap beyond the set itself.
    "daily_correct": {"points": 2, "daily_cap": None},
    "daily_perfect": {"points": 5, "daily_cap": None},
    "practice_correct": {"points": 1, "daily_cap": 10},
    "review_correct": {"points": 1, "daily_cap": 10},
    # A challenge run pays by its streak: the highest tier reached.
    "challenge": {"tiers": [[3, 1], [5, 3], [10, 6], [20, 10]], "daily_cap": 10},
    # Events set their own points (check-in, and each correct on-site answer), once per
    # event and person, so no daily cap.
    "checkin": {"points": 0, "daily_cap": None},
    "event_quiz": {"points": 0, "daily_cap": None},
}

REASON_LABELS = {
    "daily_correct": "每日答题答对",
    "daily_perfect": "每日答题全对奖励",
    "practice_correct": "专项练习答对",
    "review_correct": "复习答对",
    "challenge": "挑战答题",
    "checkin": "活动签到",
    "event_quiz": "现场答题答对",
    # Not earning rules: points spent on rewards and given back.
    "redeem": "兑换奖品",
    "refund": "兑换退回",
}


@dataclass(frozen=True)
class Rule:
    name: str
    points: int
    daily_cap: int | None
    tiers: tuple = ()

    def for_streak(self, streak: int) -> int:
        earned = 0
        for length, pts in self.tiers:
            if streak >= length:
                earned = pts
        return earned


def load_rules(overrides: dict | str | None = None) -> dict[str, Rule]:
    if isinstance(overrides, str):
        overrides = json.loads(overrides)
    merged = {k: dict(v) for k, v in DEFAULT_RULES.items()}
    for name, values in (overrides or {}).items():
        merged.setdefault(name, {}).update(values)
    return {
        name: Rule(name, int(v.get("points", 0)), v.get("daily_cap"), tuple(tuple(t) for t in v.get("tiers", ())))
        for name, v in merged.items()
    }


def rules_from_env() -> dict[str, Rule]:
    return load_rules(os.environ.get("POINTS_RULES"))


def rule(name: str) -> Rule:
    return current_app.config["POINTS_RULES"][name]
