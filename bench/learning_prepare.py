"""Build the database for the spaced review and mastery benchmark (issue 18) and a file
of tokens.

    python bench/learning_prepare.py DATABASE_URL [--residents 10000] [--villages 15]
        [--laws 12] [--questions-per-law 450] [--mean-cards 60] [--heavy-cards 5000] [--out FILE]

* PostgreSQL: the database named in the URL is dropped and created again (its name must
  contain "bench"; bench/benchdb.py's recreate_database), e.g.
  postgresql://postgres@127.0.0.1:5432/pufa_bench_learning.
* Schema by Alembic, no shipped bank: --laws categories of --questions-per-law active
  questions each (a third true/false, the rest single choice). The brief asked for ~100
  a law, but one person holding 5,000 cards needs 5,000 distinct questions (a card is
  one person × one question), so the default is 450 a law (5,400 in all).
* A town with --villages villages and --residents residents spread over them.
* Review cards, in bulk (Core insert, executemany): a quarter of the residents never
  answered; the others hold a log-normal number of cards (sigma 1, so a few hold many;
  mean over all residents about --mean-cards), from laws chosen by a Zipf-like town-wide
  popularity with each resident's two favourite laws weighted up. The first resident
  (the "heavy" one) holds exactly --heavy-cards cards spread over every law.
* A card's FSRS columns are not drawn from made-up ranges: a pool of card histories is
  simulated with the app's own scheduler (learning.cards.reviewed): first answer at a
  time uniform over the past 365 days, 85 % of answers right, each review taken some
  hours after the card fell due (exponential, mean 36 h), until the next one would be
  in the future. Each card copies one history's final state, so states, steps,
  stabilities (days to months), difficulties, review and lapse counts and due times
  (mostly graduated and due later, ~5 % overdue, a few learning or relearning) are what
  the app would have written; last_review is spread over the year.
* A panel account (role admin): username "mastery", --password.
* The output is JSON: {"database_url", "now", "heavy": {"user_id", "token", "cards",
  "due_today"}, "people": [{"user_id", "token", "cards"}...] (a sample of card holders),
  "admin": {"username", "password"}}; bearer tokens by accounts.tokens.issue.

Run from the repository root with the app's venv; set SECRET_KEY (and PUFA_INSTANCE)
the same way as for the server, or the tokens will not verify."""
import argparse
import hashlib
import math
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

import benchdb

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

POOL = 20_000  # simulated card histories
BATCH = 20_000  # cards a statement (SQLAlchemy splits it into multi-row INSERTs)


def simulate_pool(rng: random.Random, now, size: int) -> list[dict]:
    from learning.cards import reviewed

    pool = []
    for _ in range(size):
        t = now - timedelta(days=rng.uniform(0, 365))
        card = None
        while True:
            card = reviewed(card, rng.random() < 0.85, t)
            t = card["due"] + timedelta(hours=rng.expovariate(1 / 36))
            if t > now:
                break
        pool.append(card)
    return pool


def card_counts(rng: random.Random, residents: int, mean: float, most: int) -> list[int]:
    """Cards per resident: none for a quarter, log-normal for the rest (mean over all ~`mean`)."""
    sigma = 1.0
    mu = math.log(mean / 0.75) - sigma ** 2 / 2  # E[lognormal] = exp(mu + sigma²/2)
    return [0 if rng.random() < 0.25 else min(most, max(1, round(rng.lognormvariate(mu, sigma)))) for _ in range(residents)]


def pick_questions(rng: random.Random, n: int, by_law: list[list[int]], weights: list[float]) -> list[int]:
    """n distinct questions, their laws drawn by `weights` (a full law passes its draws on)."""
    want = [0] * len(by_law)
    for law in rng.choices(range(len(by_law)), weights=weights, k=n):
        want[law] += 1
    spill = 0
    for law, questions in enumerate(by_law):
        if want[law] > len(questions):
            spill += want[law] - len(questions)
            want[law] = len(questions)
    for law, questions in enumerate(by_law):  # the overflow goes to laws with room left
        take = min(spill, len(questions) - want[law])
        want[law] += take
        spill -= take
    return [q for law, questions in enumerate(by_law) for q in rng.sample(questions, want[law])]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("database_url")
    p.add_argument("--residents", type=int, default=10_000)
    p.add_argument("--villages", type=int, default=15)
    p.add_argument("--laws", type=int, default=12)
    p.add_argument("--questions-per-law", type=int, default=450)
    p.add_argument("--mean-cards", type=float, default=60)
    p.add_argument("--heavy-cards", type=int, default=5000)
    p.add_argument("--sample", type=int, default=200, help="card holders whose tokens go to the output")
    p.add_argument("--password", default="mastery-bench-password")
    p.add_argument("--seed", type=int, default=18)
    p.add_argument("--out", default="/tmp/pufa-bench/learning/people.json")
    args = p.parse_args()
    if args.heavy_cards > args.laws * args.questions_per_law:
        raise SystemExit("--heavy-cards needs at least that many questions (--laws x --questions-per-law)")

    t0 = benchdb.start(args.database_url)
    rng = random.Random(args.seed)

    from sqlalchemy import func, select

    from accounts import tokens
    from accounts.admins import create_admin
    from accounts.models import OrgUnit, User
    from core import create_app
    from core.extensions import db
    from core.sql import insert
    from core.timeutil import utcnow
    from learning import reviews
    from learning.models import ReviewCard
    from quiz_bank.models import Category, Question
    from quiz_bank.questions import recount

    app = create_app()
    with app.app_context():
        benchdb.create_schema(db, bank=False)
        now = utcnow()

        db.session.execute(insert(Category.__table__), [
            {"name": f"压测法律{i + 1}", "slug": f"bench-law-{i + 1}", "description": "", "sort_order": i, "exam_only": False}
            for i in range(args.laws)])
        laws = list(db.session.scalars(select(Category.id).order_by(Category.id)))
        rows = []
        for law in laws:
            for j in range(args.questions_per_law):
                stem = f"压测法律{law}第{j + 1}题：下列说法是否正确？" if j % 3 == 0 else f"压测法律{law}第{j + 1}题：下列哪一项符合规定？"
                tf = j % 3 == 0
                rows.append({
                    "category_id": law, "type": "true_false" if tf else "single", "stem": stem,
                    "options": [{"key": "T", "text": "正确"}, {"key": "F", "text": "错误"}] if tf
                    else [{"key": k, "text": f"选项{k}"} for k in "ABCD"],
                    "answer": ["T"] if tf else ["B"], "explanation": "压测题目的解析。", "source": f"压测法律{law}第{j + 1}条",
                    "difficulty": 1 + j % 3, "status": "active", "exam_only": False, "version": 1,
                    "fingerprint": hashlib.sha256(stem.encode()).hexdigest()})
        db.session.execute(insert(Question.__table__), rows)
        recount(laws)
        by_law = [list(db.session.scalars(select(Question.id).where(Question.category_id == law).order_by(Question.id)))
                  for law in laws]
        law_of = {q: law for law, questions in zip(laws, by_law) for q in questions}

        town = OrgUnit(name="压测镇", kind="town")
        db.session.add(town)
        db.session.flush()
        villages = [OrgUnit(name=f"压测{i + 1}村", kind="village", parent_id=town.id) for i in range(args.villages)]
        db.session.add_all(villages)
        db.session.flush()
        db.session.execute(insert(User.__table__), [
            {"openid": f"bench-learning:{i}", "nickname": f"复习压测{i + 1}", "real_name": f"复习压测{i + 1}",
             "role": "resident", "org_unit_id": villages[i % len(villages)].id} for i in range(args.residents)])
        users = list(db.session.scalars(select(User.id).where(User.openid.like("bench-learning:%")).order_by(User.id)))
        db.session.commit()
        print(f"{len(laws)} laws x {args.questions_per_law} questions, {len(users)} residents in {len(villages)} villages "
              f"({time.monotonic() - t0:.1f}s)", flush=True)

        t1 = time.monotonic()
        pool = simulate_pool(rng, now, POOL)
        print(f"{len(pool)} card histories simulated with the app's FSRS scheduler ({time.monotonic() - t1:.1f}s)", flush=True)

        popularity = [1 / (k + 1) ** 0.7 for k in range(len(laws))]
        counts = card_counts(rng, len(users), args.mean_cards, args.laws * args.questions_per_law)
        counts[0] = args.heavy_cards
        batch, total = [], 0
        columns = ("state", "step", "stability", "difficulty", "due", "last_review", "reviews", "lapses")
        for user_id, n in zip(users, counts):
            if not n:
                continue
            weights = list(popularity)
            if user_id != users[0]:
                for fav in rng.sample(range(len(laws)), 2):
                    weights[fav] *= 4
            for q in pick_questions(rng, n, by_law, weights):
                card = rng.choice(pool)
                batch.append({"user_id": user_id, "question_id": q, "category_id": law_of[q], **{c: card[c] for c in columns}})
            if len(batch) >= BATCH:
                db.session.execute(insert(ReviewCard.__table__), batch)
                db.session.commit()
                total += len(batch)
                batch = []
        if batch:
            db.session.execute(insert(ReviewCard.__table__), batch)
            total += len(batch)
        db.session.commit()
        holders = sum(1 for n in counts if n)
        print(f"{total} review cards for {holders} residents (mean {total / len(users):.1f} a resident, "
              f"max {max(counts)}) ({time.monotonic() - t1:.1f}s)", flush=True)

        heavy = users[0]
        badge = reviews.summary(heavy, now)
        states = dict(db.session.execute(select(ReviewCard.state, func.count()).where(ReviewCard.user_id == heavy)
                                         .group_by(ReviewCard.state)).all())
        print(f"heavy resident {heavy}: {counts[0]} cards, states {states}, due by tonight {badge['due_today']} "
              f"(overdue {badge['overdue']})", flush=True)
        create_admin("mastery", args.password, role="admin")  # commits

        sample = rng.sample([(u, n) for u, n in zip(users[1:], counts[1:]) if n], min(args.sample, holders - 1))
        out = {
            "database_url": args.database_url, "now": now.isoformat(),
            "heavy": {"user_id": heavy, "token": tokens.issue(heavy)[0], "cards": counts[0], "due_today": badge["due_today"]},
            "people": [{"user_id": u, "token": tokens.issue(u)[0], "cards": n} for u, n in sample],
            "admin": {"username": "mastery", "password": args.password},
            "cards": total,
        }
        benchdb.finish(db)

    path = benchdb.write_json(args.out, out)
    print(f"tokens -> {path} ({time.monotonic() - t0:.1f}s)", flush=True)


if __name__ == "__main__":
    main()
