"""A district's data for load and benchmarks (`flask seed-district`, issue 19).

Towns with villages, communities and departments of skewed sizes; residents and the
accounts of years past; cadres on the roster; the district's question bank of load questions
(stems marked （压测题）, copied from the shipped laws with their citations); a year of
daily answers with the quizzes, ledger, tallies, daily allowances, review cards and
wrong-answer books they leave; events with check-ins and on-site quizzes; the year's
exams with results; the reward shops' redemptions.

The history is simulated here, one person at a time, by the same rules the services
apply (points per rule and daily caps, tallies per week, month, year and all time, FSRS
cards by the app's scheduler, refunds of cancelled and expired redemptions), and written in
bulk: PostgreSQL's COPY, or executemany on SQLite. The services per answer are what
the demo town replays; at ten million ledger rows they would take days.

--scale multiplies the people and the questions; the district's shape (towns and their
units, events, exams, rewards, staff) is kept, so every volume that follows people
(answers, ledger, check-ins, attempts, redemptions) scales with it. One transaction:
a failed run leaves nothing. Run twice, it refuses (the first town exists)."""
import heapq
import json
import math
import random
import secrets
import threading
import time
from bisect import bisect
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import accumulate

from flask import current_app
from sqlalchemy import Boolean, Date, DateTime, func, select
from werkzeug.security import generate_password_hash

from accounts.models import AdminUser, Cadre, OrgUnit, User
from activities.models import CheckIn, Event
from core.extensions import db
from core.timeutil import from_local, local_today, period_keys, to_local, utcnow
from demo.exams import ANNUAL_RULES, NEW_LEADER_RULES, POSITIONS
from learning.cards import reviewed
from learning.models import ReviewCard, ReviewDay
from points.models import DailyEarning, PointsEntry, PointsTally, Redemption, Reward
from points.rewards import CODE_ALPHABET, CODE_LENGTH
from points.rules import REASON_LABELS
from quiz_bank.exams.models import AttemptItem, Exam, ExamAttempt, PaperRule
from quiz_bank.loader import bank_files, load_bank
from quiz_bank.models import Category, Question, Quiz, QuizItem, SeenQuestion, WrongAnswer
from quiz_bank.questions import fingerprint, recount

# Full-size counts a --residents of 500,000 brings (multiplied by --scale).
ACCOUNTS_PER_RESIDENT = 2  # accounts opened over the years, per resident registered in a unit now
RESIDENTS_PER_CADRE = 100
QUESTIONS = 100_000
LOAD_MARK = "（压测题）"
BATCH = 200_000  # rows held before they are written

TOWN_NAMES = ["城关镇", "河口镇", "青石镇", "白沙镇", "桃源镇", "金桥镇", "龙泉镇", "柳林镇", "马鞍镇", "双河镇",
              "太平镇", "新华镇", "永安镇", "长乐镇", "清溪镇", "石门镇", "凤凰镇", "黄土镇", "大营镇", "杨柳镇",
              "花园镇", "红旗镇", "荷塘镇", "莲花镇", "梅岭镇", "松柏镇", "东风镇", "兴隆镇", "安乐镇", "平湖镇"]
PLACE_FIRST = "东西南北上下前后大小新老高长石杨柳桥河塘湾岭坡沟坪李王张刘陈"
PLACE_SECOND = "湖岭塘坡湾桥林洲庄店铺营集寨坝园冲口港坳"
DEPARTMENTS = ["党政办", "司法所", "综合行政执法大队", "派出所", "自然资源所", "农业农村办", "生态环境分局", "市场监管所",
               "财政所", "应急管理办", "社会事务办", "退役军人服务站", "林业站", "水利站", "人武部"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "秀英华明丽军伟芳娜敏静强磊洋艳勇杰娟涛超霞平刚桂兰玉梅志红建国文春海燕云峰亮成林凤琴辉欣怡宇浩"
SHOP = [("洗衣液（2kg）", 30), ("食用油（1.8L）", 60), ("5斤装大米", 50), ("《民法典》普法读本", 20), ("保温杯", 40)]
# Beijing-time hour a session starts, weighted: mornings, lunch and evenings.
HOUR_WEIGHTS = [0, 0, 0, 0, 0, 1, 3, 6, 7, 5, 4, 4, 6, 5, 3, 3, 3, 4, 5, 8, 9, 8, 5, 2]
EVENT_KINDS = ["lecture", "outreach", "school", "other", "outreach"]


class AlreadySeeded(Exception):
    pass


class _Sink:
    """Rows buffered per table and written in the order the tables were declared
    (foreign keys first): COPY on PostgreSQL, executemany on SQLite. Rows are tuples in
    the declared column order; JSON columns hold their text already."""

    def __init__(self):
        self.conn, self.pg = None, False
        self.tables: dict[str, tuple] = {}
        self.rows: dict[str, list] = {}
        self.written: Counter = Counter()
        self.seconds = 0.0
        self.writer: threading.Thread | None = None
        self.failure: BaseException | None = None

    def attach(self, conn) -> None:
        self.conn, self.pg = conn, conn.dialect.name == "postgresql"

    def declare(self, table, columns: tuple[str, ...]) -> list:
        converters = [_sqlite_value(table.c[c].type) for c in columns]
        self.tables[table.name] = (columns, converters)
        self.rows[table.name] = []
        return self.rows[table.name]

    def hold_foreign_keys(self) -> None:
        """PostgreSQL: drop the bulk tables' foreign keys until `restore_foreign_keys`.
        Checked row by row, they took three quarters of the load; added back, each is
        checked once over the whole table. In the load's transaction, so nothing is
        left without them whatever happens."""
        if not self.pg:
            return
        self.foreign_keys = self.conn.exec_driver_sql(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid::regclass::text = ANY(%(tables)s)", {"tables": list(self.tables)}).all()
        for table, name, _ in self.foreign_keys:
            self.conn.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')

    def restore_foreign_keys(self) -> None:
        for table, name, definition in getattr(self, "foreign_keys", ()):
            self.conn.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def held(self) -> int:
        return sum(len(rows) for rows in self.rows.values())

    def flush_if_full(self) -> None:
        """Hand the rows held to a writer thread once there are enough, and go on: the
        rows are made while PostgreSQL takes the previous batch (one batch in flight)."""
        if self.held() >= BATCH:
            self.flush(background=self.pg)

    def flush(self, background: bool = False) -> None:
        batch = [(name, rows[:]) for name, rows in self.rows.items() if rows]
        for rows in self.rows.values():
            rows.clear()
        self.drain()
        if background:
            self.writer = threading.Thread(target=self._write, args=(batch,), name="seed-district-copy")
            self.writer.start()
        else:
            self._write(batch)
            self.drain()

    def drain(self) -> None:
        """Wait for the writer thread: before anything else uses the connection."""
        if self.writer is not None:
            self.writer.join()
            self.writer = None
        if self.failure is not None:
            raise self.failure

    def drain_quietly(self) -> None:
        if self.writer is not None:
            self.writer.join()
            self.writer = None

    def _write(self, batch: list[tuple[str, list]]) -> None:
        started = time.monotonic()
        try:
            for name, rows in batch:
                columns, converters = self.tables[name]
                if self.pg:
                    raw = self.conn.connection.driver_connection
                    with raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    marks = ", ".join("?" * len(columns))
                    self.conn.exec_driver_sql(
                        f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({marks})",
                        [tuple(v if f is None or v is None else f(v) for f, v in zip(converters, row)) for row in rows])
                self.written[name] += len(rows)
        except BaseException as exc:  # raised in the main thread by drain()
            self.failure = exc
        self.seconds += time.monotonic() - started


def _sqlite_value(column_type):
    """How SQLAlchemy stores a value of the type in SQLite (its text formats), or None as is."""
    if isinstance(column_type, DateTime):
        return lambda v: v.strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(column_type, Date):
        return date.isoformat
    if isinstance(column_type, Boolean):
        return int
    return None


def _wrong(question: Question) -> list[str]:
    """A wrong answer: an option not in the key, or, when every option is, only the first."""
    others = [o["key"] for o in question.options if o["key"] not in question.answer]
    return others[:1] or sorted(question.answer)[:1]


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Ids:
    """The next id of each table, after what the database holds (the district may join a demo town)."""

    def __init__(self, conn, tables):
        self.next = {t.name: (conn.execute(select(func.max(t.c.id))).scalar() or 0) + 1 for t in tables}

    def take(self, table, n: int = 1) -> int:
        first = self.next[table.name]
        self.next[table.name] = first + n
        return first


@dataclass
class _Town:
    id: int
    name: str
    units: list[int] = field(default_factory=list)  # villages and communities
    unit_weights: list[float] = field(default_factory=list)
    departments: list[int] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)
    rewards: list[tuple[int, str, int]] = field(default_factory=list)
    staff_id: int | None = None
    centre: tuple[float, float] = (30.5, 114.3)


def seed_district(towns: int = 20, residents: int = 500_000, scale: float = 1.0, year: int | None = None,
                  seed: int = 19, echo=print) -> str:
    """Build the district on the app's database, in one transaction; a summary to print."""
    if towns < 1 or residents < 1 or scale <= 0:
        raise ValueError("镇的数量、居民人数和比例都必须大于 0。")
    today = local_today()
    year = year or today.year
    if year > today.year:
        raise ValueError(f"{year} 年还没有到，无法生成这一年的答题记录。")
    names = [TOWN_NAMES[i % len(TOWN_NAMES)] + ("" if i < len(TOWN_NAMES) else str(i // len(TOWN_NAMES) + 1)) for i in range(towns)]
    if db.session.scalar(select(OrgUnit.id).where(OrgUnit.kind == "town", OrgUnit.name == names[0])):
        raise AlreadySeeded(f"区级数据已存在（已有“{names[0]}”），未重复生成。")
    saved = random.getstate()
    random.seed(seed)  # the FSRS scheduler fuzzes intervals with the module's generator
    try:
        return _Builder(names, round(residents * scale), scale, year, seed, echo).run()
    finally:
        random.setstate(saved)


class _Builder:
    def __init__(self, names, residents, scale, year, seed, echo):
        self.names, self.residents, self.scale, self.year, self.echo = names, max(1, residents), scale, year, echo
        self.rng = random.Random(seed)
        self.now = utcnow()
        self.rules = current_app.config["POINTS_RULES"]
        self.sizes = current_app.config["QUIZ_SIZES"]
        self.expiry = timedelta(days=current_app.config["REDEMPTION_EXPIRY_DAYS"])
        start = datetime(year, 1, 1)
        end_day = min(date(year + 1, 1, 1), local_today(self.now))  # whole days only: today is still going on
        self.days = (end_day - start.date()).days
        # Sessions start on the year's days; a late one may finish after midnight, on the next day.
        self.day_utc = [from_local(start + timedelta(days=d)) for d in range(self.days + 2)]
        self.day_keys = [period_keys(start.date() + timedelta(days=d)) for d in range(self.days + 1)]
        self.day_date = [start.date() + timedelta(days=d) for d in range(self.days + 1)]
        self.data_end = self.day_utc[self.days]
        self.hour_cum = list(accumulate(HOUR_WEIGHTS))
        self.sink = _Sink()

    def run(self) -> str:
        try:
            return self._build()
        except BaseException:
            self.sink.drain_quietly()  # no COPY left running on the connection being rolled back
            db.session.rollback()
            raise

    def _build(self) -> str:
        t0 = time.monotonic()
        added = load_bank()  # commits on its own: the rest is one transaction
        self.echo(f"题库：法规原题 {sum(added.values())} 道已载入（已有的不重复）")
        conn = self.conn = db.session.connection()
        self.sink.attach(conn)
        self.ids = _Ids(conn, [OrgUnit.__table__, User.__table__, Cadre.__table__, AdminUser.__table__, Category.__table__,
                               Question.__table__, Quiz.__table__, PointsEntry.__table__, Reward.__table__, Redemption.__table__,
                               Event.__table__, CheckIn.__table__, Exam.__table__, PaperRule.__table__, ExamAttempt.__table__])
        self._declare()
        self.sink.hold_foreign_keys()
        self.towns = self._units()
        self.password = self._staff()
        questions = self._banks()
        self.echo(f"{len(self.towns)} 个镇，{sum(len(t.units) for t in self.towns)} 个村和社区，"
                  f"{sum(len(t.departments) for t in self.towns)} 个部门；压测题 {questions} 道 ({time.monotonic() - t0:.1f}s)")
        self._rewards()
        self._events()
        t1, before = time.monotonic(), sum(self.sink.written.values())
        cadres = self._people()
        self.sink.flush()
        self.echo(f"居民与一年的答题：{sum(self.sink.written.values()) - before:,} 行 ({time.monotonic() - t1:.1f}s)")
        t2 = time.monotonic()
        self._exams(cadres)
        self.sink.flush()
        self.echo(f"考试：{self.sink.written['exam_attempt']} 份答卷 ({time.monotonic() - t2:.1f}s)")
        self._finish()
        t3 = time.monotonic()
        self.sink.restore_foreign_keys()
        self.echo(f"外键约束已恢复并核对 ({time.monotonic() - t3:.1f}s)")
        recount(db.session.scalars(select(Category.id)))  # the laws' kept counts, as every change to the bank keeps them
        if self.sink.pg:
            conn.exec_driver_sql("ANALYZE")  # the planner's statistics, before the first request
        db.session.commit()
        seconds = time.monotonic() - t0
        rows = sum(self.sink.written.values())
        lines = [f"{name} {n:,}" for name, n in self.sink.written.most_common()]
        return "\n".join([
            f"区级数据已生成（{self.year} 年，比例 {self.scale:g}）：{rows:,} 行，用时 {seconds:.0f} 秒，"
            f"{rows / seconds:,.0f} 行/秒（批量写入 {self.sink.seconds:.0f} 秒）。",
            "各表行数：" + "，".join(lines),
            f"管理后台：区级账号 district-admin，各镇账号 town-01 … town-{len(self.towns):02d}，密码 {self.password}",
        ])

    # -- tables written in bulk, foreign keys first ---------------------------------
    def _declare(self) -> None:
        s = self.sink
        self.questions = s.declare(Question.__table__, ("id", "category_id", "type", "stem", "options", "answer", "explanation",
                                                        "source", "difficulty", "status", "exam_only", "version", "fingerprint",
                                                        "created_at", "updated_at"))
        self.users = s.declare(User.__table__, ("id", "openid", "nickname", "avatar_url", "real_name", "role", "org_unit_id",
                                                "points_balance", "created_at", "last_login_at"))
        self.cadre_rows = s.declare(Cadre.__table__, ("id", "name", "phone", "org_unit_id", "position", "newly_promoted",
                                                      "binding_code", "user_id", "bound_at", "active", "created_at"))
        self.quizzes = s.declare(Quiz.__table__, ("id", "user_id", "mode", "category_id", "status", "daily_date", "question_count",
                                                  "answered_count", "correct_count", "points_awarded", "started_at", "finished_at",
                                                  "event_id", "closes_at", "points_each"))
        self.items = s.declare(QuizItem.__table__, ("quiz_id", "question_id", "position", "answer", "correct", "points_awarded",
                                                    "answered_at"))
        self.seen = s.declare(SeenQuestion.__table__, ("user_id", "question_id"))
        self.cards = s.declare(ReviewCard.__table__, ("user_id", "question_id", "category_id", "state", "step", "stability",
                                                      "difficulty", "due", "last_review", "reviews", "lapses"))
        self.book = s.declare(WrongAnswer.__table__, ("user_id", "question_id", "category_id", "last_answer", "wrong_count",
                                                      "last_wrong_at"))
        self.review_days = s.declare(ReviewDay.__table__, ("user_id", "day"))
        self.ledger = s.declare(PointsEntry.__table__, ("id", "user_id", "delta", "reason", "note", "idempotency_key",
                                                        "balance_after", "created_at"))
        self.allowances = s.declare(DailyEarning.__table__, ("user_id", "day", "rule", "earned", "last_grant"))
        self.tallies = s.declare(PointsTally.__table__, ("user_id", "period", "org_unit_id", "points"))
        self.checkins = s.declare(CheckIn.__table__, ("id", "event_id", "user_id", "checked_in_at", "latitude", "longitude",
                                                      "accuracy_m", "distance_m", "points_awarded"))
        self.redemptions = s.declare(Redemption.__table__, ("id", "user_id", "reward_id", "cost", "status", "pickup_code", "month",
                                                            "created_at", "expires_at", "handed_over_at", "handed_over_by",
                                                            "closed_at"))
        self.attempts = s.declare(ExamAttempt.__table__, ("id", "exam_id", "user_id", "cadre_id", "number", "status", "started_at",
                                                          "deadline", "submitted_at", "score", "passed", "total_score",
                                                          "pass_score", "paper"))
        self.attempt_items = s.declare(AttemptItem.__table__, ("attempt_id", "question_id", "position", "points", "option_order",
                                                               "answer", "answered_at", "correct", "score"))

    def _insert(self, table, rows: list[dict]) -> None:
        """The few rows of the district's shape, through SQLAlchemy (types handled there)."""
        if rows:
            self.sink.drain()
            self.conn.execute(table.insert(), rows)
            self.sink.written[table.name] += len(rows)

    # -- the district's shape ------------------------------------------------------
    def _units(self) -> list[_Town]:
        rng, units, towns = self.rng, [], []
        table = OrgUnit.__table__
        places = [a + b for a in PLACE_FIRST for b in PLACE_SECOND]
        for n, name in enumerate(self.names):
            town = _Town(self.ids.take(table), name, centre=(30.2 + rng.random(), 113.8 + rng.random()))
            units.append({"id": town.id, "name": name, "kind": "town", "parent_id": None, "town_id": town.id})
            villages = rng.randint(10, 25)
            for k, place in enumerate(rng.sample(places, villages)):
                community = k >= villages * 0.75  # a town's centre: a few communities, larger than villages
                unit_id = self.ids.take(table)
                units.append({"id": unit_id, "name": place + ("社区" if community else "村"), "kind": "community" if community else "village",
                              "parent_id": town.id, "town_id": town.id})
                town.units.append(unit_id)
                town.unit_weights.append(rng.lognormvariate(0.8 if community else 0, 0.6))
            for dept in rng.sample(DEPARTMENTS, rng.randint(8, 15)):
                unit_id = self.ids.take(table)
                units.append({"id": unit_id, "name": dept, "kind": "department", "parent_id": town.id, "town_id": town.id})
                town.departments.append(unit_id)
            towns.append(town)
        self._insert(table, units)
        return towns

    def _staff(self) -> str:
        """A district account and one per town, sharing one password (printed)."""
        password = secrets.token_urlsafe(12)
        digest = generate_password_hash(password)
        table = AdminUser.__table__
        rows = [{"id": self.ids.take(table), "username": "district-admin", "password_hash": digest, "role": "admin",
                 "active": True, "created_at": self.now, "session_epoch": 0, "town_id": None}]
        for n, town in enumerate(self.towns):
            town.staff_id = self.ids.take(table)
            rows.append({"id": town.staff_id, "username": f"town-{n + 1:02d}", "password_hash": digest, "role": "admin",
                         "active": True, "created_at": self.now, "session_epoch": 0, "town_id": town.id})
        self._insert(table, rows)
        return password

    def _banks(self) -> int:
        """The district's one question bank (the app shares it across towns, accounts.tenancy
        SHARED_TABLES): a load copy of each shipped law's category, its questions variations
        of the shipped ones (stem marked and numbered, the citation kept)."""
        shipped = {}
        slugs = [path.stem for path in bank_files()]  # a shipped law's slug is its file's name
        for q in db.session.scalars(select(Question).join(Category).where(Question.status == "active", Category.slug.in_(slugs))):
            shipped.setdefault(q.category, []).append(q)
        laws = sorted(shipped, key=lambda c: (c.sort_order, c.id))
        per_category = max(4, round(QUESTIONS * self.scale / len(laws)))
        categories, self.answers, self.laws = [], {}, []
        ctable, qtable = Category.__table__, Question.__table__
        for law in laws:
            cid = self.ids.take(ctable)
            categories.append({"id": cid, "name": f"{law.name}（压测题库）", "slug": f"{law.slug}-load",
                               "description": f"{LOAD_MARK}全区共用的负载测试题，由“{law.name}”题库复制变化而来，不是正式题目。",
                               "sort_order": 100 + law.sort_order, "exam_only": False})
            first = self.ids.take(qtable, per_category)
            ids = list(range(first, first + per_category))
            for k, qid in enumerate(ids):
                tpl = shipped[law][k % len(shipped[law])]
                stem = f"{LOAD_MARK}第{k + 1}题：{tpl.stem}"
                self.questions.append((qid, cid, tpl.type, stem, _json(tpl.options), _json(tpl.answer), tpl.explanation,
                                       tpl.source, tpl.difficulty, "active", False, 1,
                                       fingerprint(cid, tpl.type, stem, tpl.options, tpl.answer), self.now, self.now))
                self.answers[qid] = (_json(sorted(tpl.answer)), _json(_wrong(tpl)), cid)
            self.laws.append((cid, ids))
        self.bank = [qid for _, ids in self.laws for qid in ids]
        self._insert(ctable, categories)
        count = len(self.questions)
        self.sink.flush()
        self.law_names = {cid: law.name for (cid, _), law in zip(self.laws, laws)}
        self.shipped = shipped
        return count

    def _rewards(self) -> None:
        """Each town's shop, and a few district-wide rewards anyone may take."""
        table, rows = Reward.__table__, []
        start = self.day_utc[0]
        self.district_rewards: list[tuple[int, str, int]] = []
        for town in [None, *self.towns]:
            for name, cost in (SHOP if town else SHOP[3:]):
                rid = self.ids.take(table)
                full = f"{name}（{town.name if town else '区级'}）"
                rows.append({"id": rid, "name": full, "description": "压测数据中的奖品。", "cost": cost,
                             "stock": self.rng.randint(0, 60), "per_user_limit": None, "limit_period": "all",
                             "offered_from": start, "offered_until": None, "visible": True, "created_at": start,
                             "town_id": town.id if town else None})
                (town.rewards if town else self.district_rewards).append((rid, full, cost))
        self._insert(table, rows)

    def _events(self) -> None:
        """Past events through the year (check-ins come with the people) and two upcoming a town."""
        rng, table, rows = self.rng, Event.__table__, []
        for town in self.towns:
            days = sorted(rng.sample(range(self.days), min(self.days, rng.randint(10, 20)))) if self.days else []
            upcoming = [self.days + 3, self.days + 17] if self.year == local_today(self.now).year else []
            for d in days + upcoming:
                starts = self.day_utc[min(d, self.days)] + timedelta(days=max(0, d - self.days), hours=rng.choice([9, 14, 19]))
                hours = rng.choice([2, 3])
                law_id = rng.choice(self.laws)[0] if rng.random() < 0.8 else None
                fenced = rng.random() < 0.7
                lat, lng = (None, None) if not fenced else \
                    (town.centre[0] + rng.uniform(-0.05, 0.05), town.centre[1] + rng.uniform(-0.05, 0.05))
                event = {"id": self.ids.take(table), "title": f"{town.name}{self.law_names.get(law_id, '法治')}宣讲（压测）",
                         "kind": rng.choice(EVENT_KINDS), "org_unit_id": rng.choice(town.departments), "starts_at": starts,
                         "ends_at": starts + timedelta(hours=hours), "checkin_opens_at": starts - timedelta(minutes=30),
                         "checkin_closes_at": starts + timedelta(hours=hours), "location_name": f"{town.name}文化广场",
                         "latitude": lat, "longitude": lng, "radius_m": 300 if fenced else None, "coord_type": "wgs84",
                         "points": 2, "quiz_category_id": law_id, "quiz_size": 5, "quiz_points_each": 2, "token_seconds": 30,
                         "checkin_count": 0, "description": "压测数据中的活动。", "created_at": starts - timedelta(days=10)}
                rows.append(event)
                if d < self.days:
                    # Attendance at full size: 40 to 160 people; each of the town's residents comes alike.
                    town.events.append({**event, "want": rng.randint(40, 160) * self.scale, "law": law_id, "count": 0})
        self._insert(table, rows)

    # -- people and their year -----------------------------------------------------
    def _people(self) -> list[tuple]:
        rng = self.rng
        accounts = self.residents * ACCOUNTS_PER_RESIDENT
        cadres = max(1, self.residents // RESIDENTS_PER_CADRE)
        kinds = ["c"] * cadres + ["r"] * (self.residents - cadres) + ["n"] * (accounts - self.residents)
        rng.shuffle(kinds)
        weights = [rng.lognormvariate(0, 0.45) for _ in self.towns]
        town_cum = list(accumulate(weights))
        for town, weight in zip(self.towns, weights):
            town.unit_cum = list(accumulate(town.unit_weights))
            # Residents expected in the town: an event's attendance over them is each one's chance to come.
            town.people = max(1.0, self.residents * weight / town_cum[-1])
        first_user = self.ids.take(User.__table__, accounts)
        self.review_cache: dict = {}
        self.codes: set[str] = set()
        roster = []
        for n, kind in enumerate(kinds):
            uid = first_user + n
            town = self.towns[bisect(town_cum, rng.random() * town_cum[-1])] if kind != "n" or rng.random() < 0.2 else None
            if kind == "c":
                unit = rng.choice(town.departments)
            elif kind == "r":
                unit = town.units[bisect(town.unit_cum, rng.random() * town.unit_cum[-1])]
            else:
                unit = None
            self._person(uid, kind, town, unit, roster)
            self.sink.flush_if_full()
        # On the roster, not yet bound: their codes are on the sheet to hand out.
        for _ in range(max(1, cadres // 50)):
            cid = self.ids.take(Cadre.__table__)
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)
            self.cadre_rows.append((cid, name, f"194{cid % 10 ** 8:08d}", rng.choice(rng.choice(self.towns).departments),
                                    rng.choice(POSITIONS), rng.random() < 0.15, self._code(8), None, None, True, self.data_end))
        return roster

    def _active_days(self, kind: str) -> list[int]:
        """The days of the year the person answers: none for many; for the others a
        log-normal count (half of them 1 or 2 days, a few almost every day): about 20 ledger rows
        a resident over the year."""
        rng = self.rng
        if not self.days or rng.random() < (0.35 if kind != "n" else 0.8):
            return []
        count = min(self.days, max(1, round(rng.lognormvariate(0.45, 1.25))))
        return sorted(rng.sample(range(self.days), count))

    def day_of(self, at: datetime) -> int:
        """The index of the local day holding `at`."""
        return bisect(self.day_utc, at) - 1

    def _at(self, day: int) -> datetime:
        hour = bisect(self.hour_cum, self.rng.random() * self.hour_cum[-1])
        return self.day_utc[day] + timedelta(hours=hour, seconds=self.rng.randint(0, 3000))

    def _person(self, uid: int, kind: str, town: _Town | None, unit: int | None, roster: list) -> None:
        rng = self.rng
        p = _Person(uid, unit, rng.uniform(0.55, 0.93))
        days = self._active_days(kind)
        for d in days:
            at = self._at(d)
            self._quiz(p, "daily", None, at, d, town)
            if rng.random() < 0.2 and town:
                law = rng.choice(self.laws)
                self._quiz(p, "practice", law, at + timedelta(minutes=20), d, town)
            if rng.random() < 0.3:
                self._quiz(p, "review", None, at + timedelta(hours=3), d, town)
        if town and kind != "n":
            for event in town.events:
                if rng.random() < event["want"] / town.people:
                    self._attend(p, event, town)
        balance = self._pay_in_order(p, town)
        # Joined some time before their first answer (a few this year), or, never active, any time in six years.
        joined = p.first - timedelta(hours=1 + rng.expovariate(1 / (24 * 400))) if p.first else \
            self.data_end - timedelta(days=rng.randint(1, 6 * 365))
        real = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
        nickname = real[0] + rng.choice(["大姐", "大哥", "阿姨", "师傅", "老师", "同学"]) if rng.random() < 0.7 else f"微信用户{uid % 10000:04d}"
        last_login = p.last or (joined if rng.random() < 0.6 else None)
        self.users.append((uid, f"district:{uid}", nickname, "", real if unit else "", "cadre" if kind == "c" else "resident",
                           unit, balance, joined, last_login))
        if kind == "c":
            cid = self.ids.take(Cadre.__table__)
            promoted = rng.random() < 0.15
            self.cadre_rows.append((cid, real, f"194{cid % 10 ** 8:08d}", unit, rng.choice(POSITIONS), promoted, self._code(8),
                                    uid, joined + timedelta(hours=1), True, joined))
            roster.append((cid, uid, promoted))
        self._write_person(p)

    def _code(self, length: int) -> str:
        while True:
            code = "".join(self.rng.choice(CODE_ALPHABET) for _ in range(length))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _draw(self, p: "_Person", pool: list[int], count: int, exclude) -> list[int]:
        """`count` questions of `pool` for the person, those not seen yet preferred."""
        rng, chosen = self.rng, []
        for _ in range(min(count, len(pool))):
            for _try in range(6):
                qid = rng.choice(pool)
                if qid not in exclude and qid not in chosen and (qid not in p.seen or _try == 5):
                    chosen.append(qid)
                    break
        return chosen

    def _quiz(self, p: "_Person", mode: str, law, at: datetime, day: int, town: _Town | None,
              event: dict | None = None) -> None:
        rng = self.rng
        if at + timedelta(minutes=15) > self.now:
            return  # a late session on the year's last day would run past now
        size = event["quiz_size"] if event else self.sizes[mode]
        due = p.due(at, size if mode == "review" else (2 if mode == "daily" else 0))
        if mode == "review":
            if not due:
                return
            chosen = due
        else:
            pool = law[1] if law else self.bank
            chosen = due + self._draw(p, pool, size - len(due), set(due))
        if not chosen:
            return
        qz = self.ids.take(Quiz.__table__)
        total = len(chosen)
        answered = total if rng.random() > 0.04 else rng.randint(0, total - 1)  # a few leave a set unfinished
        right = points = 0
        t = at
        for position, qid in enumerate(chosen):
            p.seen.add(qid)
            if position >= answered:
                self.items.append((qz, qid, position, None, None, 0, None))
                p.requeue(qid)
                continue
            t = at + timedelta(seconds=20 * (position + 1))
            correct = rng.random() < p.skill
            right += correct
            right_json, wrong_json, cid = self.answers[qid]
            paid = 0
            key = f"quiz:{qz}:q:{qid}"
            if correct:
                if mode == "daily":
                    paid = p.credit(self, t, "daily_correct", self.rules["daily_correct"].points, key)
                elif mode == "practice":
                    paid = p.credit(self, t, "practice_correct", self.rules["practice_correct"].points, key)
                elif mode == "review":
                    paid = p.credit(self, t, "review_correct", self.rules["review_correct"].points, key)
                else:
                    paid = p.credit(self, t, "event_quiz", event["quiz_points_each"], key)
            if mode == "daily" and position + 1 == total and right == total:
                paid += p.credit(self, t, "daily_perfect", self.rules["daily_perfect"].points, f"quiz:{qz}:perfect")
            points += paid
            self.items.append((qz, qid, position, right_json if correct else wrong_json, correct, paid, t))
            self._card(p, qid, cid, correct, t, wrong_json)
            if mode == "review":
                p.review_days.add(self.day_date[self.day_of(t)])
        done = answered == total
        self.quizzes.append((qz, p.uid, mode, law[0] if law else None, "finished" if done else "in_progress",
                             self.day_date[day] if mode == "daily" else None, total, answered, right, points, at,
                             t if done else None, event["id"] if event else None, event["ends_at"] if event else None,
                             event["quiz_points_each"] if event else None))
        p.saw(at, t)


    def _card(self, p: "_Person", qid: int, cid: int, correct: bool, now: datetime, given: str) -> None:
        """The card as learning.cards.reviewed leaves it (its results cached by what they
        depend on: the card's state, the rating and the whole days since the last review),
        and the wrong-answer book as the answer service keeps it."""
        card = p.cards.get(qid)
        if card is None:
            key = (None, correct)
            before = None
        else:
            key = (card[0], card[1], card[2], card[3], correct, (now - card[5]).days)
            before = card
        hit = self.review_cache.get(key)
        if hit is None:
            shape = None if before is None else {"state": before[0], "step": before[1], "stability": before[2],
                                                  "difficulty": before[3], "due": before[4], "last_review": before[5],
                                                  "reviews": 0, "lapses": 0}
            after = reviewed(shape, correct, now)
            hit = self.review_cache[key] = (after["state"], after["step"], after["stability"], after["difficulty"], after["due"] - now)
        lapsed = int(not correct and before is not None and before[0] == 2)
        if before is None:
            card = p.cards[qid] = [0, 0, 0.0, 0.0, now, now, 0, 0, False, 0, None, cid, None]
        card[0], card[1], card[2], card[3], card[4], card[5] = hit[0], hit[1], hit[2], hit[3], now + hit[4], now
        card[6] += 1
        card[7] += lapsed
        if correct and card[8] and card[0] == 2:
            card[8], card[9] = False, 0  # out of the book; a later mistake starts its count again
        elif not correct:
            card[8], card[9], card[10], card[12] = True, card[9] + 1, now, given
        heapq.heappush(p.heap, (card[4], qid))

    def _attend(self, p: "_Person", event: dict, town: _Town) -> None:
        rng = self.rng
        start, end = event["starts_at"], event["ends_at"]
        at = event["checkin_opens_at"] + timedelta(seconds=rng.randint(0, int((end - event["checkin_opens_at"]).total_seconds()) - 600))
        cid = self.ids.take(CheckIn.__table__)
        paid = p.credit(self, at, "checkin", event["points"], f"checkin:{event['id']}:{p.uid}", f"签到：{event['title']}"[:200])
        lat = lng = distance = None
        if event["latitude"] is not None:
            lat, lng = event["latitude"] + rng.uniform(-0.0015, 0.0015), event["longitude"] + rng.uniform(-0.0015, 0.0015)
            distance = round(math.hypot((lat - event["latitude"]) * 111_000, (lng - event["longitude"]) * 96_000), 1)
        self.checkins.append((cid, event["id"], p.uid, at, lat, lng, rng.choice([10.0, 20.0, 35.0, 65.0]), distance, paid))
        event["count"] += 1
        quiz_at = max(at, start) + timedelta(minutes=rng.randint(5, 30))
        if event["law"] and rng.random() < 0.8 and quiz_at + timedelta(minutes=3) < end:
            law = next(l for l in self.laws if l[0] == event["law"])
            self._quiz(p, "event", law, quiz_at, self.day_of(quiz_at), town, event)
        p.saw(at, at)

    def _pay_in_order(self, p: "_Person", town: _Town | None) -> int:
        """The person's ledger in time order with the balance after each entry; now and
        then, at the end of a day's answers, a redemption (pending, handed over,
        cancelled or expired with their refunds). Returns the final balance."""
        rng = self.rng
        p.credits.sort(key=lambda c: c[0])  # stable: a quiz's perfect bonus stays after its last answer
        shop = (town.rewards if town else []) + self.district_rewards
        refunds: list = []
        balance = 0
        entry = self.ids.next[PointsEntry.__table__.name]

        def write(at, delta, reason, note, key):
            nonlocal balance, entry
            balance += delta
            self.ledger.append((entry, p.uid, delta, reason, note, key, balance, at))
            entry += 1

        for n, (at, delta, reason, note, key, day) in enumerate(p.credits):
            while refunds and refunds[0][0] <= at:
                write(*heapq.heappop(refunds))
            write(at, delta, reason, note, key)
            following, next_day = (p.credits[n + 1][0], p.credits[n + 1][5]) if n + 1 < len(p.credits) else (self.now, None)
            if next_day != day and rng.random() < 0.06:
                affordable = [r for r in shop if r[2] <= balance]
                if affordable and len(p.credits) // 20 + 1 > p.redeemed:
                    when = min(at + timedelta(minutes=rng.randint(5, 120)), following - timedelta(seconds=1))
                    refund = self._redeem(p, rng.choice(affordable), when, town)
                    write(when, *refund[0])
                    if refund[1]:
                        heapq.heappush(refunds, refund[1])
        while refunds:
            write(*heapq.heappop(refunds))
        self.ids.next[PointsEntry.__table__.name] = entry
        return balance

    def _redeem(self, p: "_Person", reward: tuple, at: datetime, town: _Town | None) -> tuple:
        """A redemption at `at` and its fate by now: (its ledger entry, the refund's or None)."""
        rng = self.rng
        rid, name, cost = reward
        red = self.ids.take(Redemption.__table__)
        p.redeemed += 1
        expires = at + self.expiry
        fate = rng.random()
        status, handed_at, closed_at, refund = "handed_over", None, None, None
        if fate < 0.1:
            status, closed_at = "cancelled", at + timedelta(hours=rng.randint(1, 48))
        elif expires < self.now and fate < 0.25:
            status, closed_at = "expired", expires + timedelta(hours=rng.randint(1, 20))
        elif expires >= self.now and fate < 0.7:
            status = "pending"
        else:
            handed_at = at + timedelta(hours=rng.randint(2, int(self.expiry.total_seconds() // 3600) - 1))
        if closed_at is not None and closed_at > self.now:
            status, closed_at = "pending", None
        if handed_at is not None and handed_at > self.now:
            status, handed_at = "pending", None
        staff = town.staff_id if town else None
        self.redemptions.append((red, p.uid, rid, cost, status, self._code(CODE_LENGTH), f"{to_local(at):%Y-%m}", at, expires,
                                 handed_at, staff if handed_at else None, closed_at))
        if closed_at is not None:
            why = "取消兑换" if status == "cancelled" else "逾期未领取"
            refund = (closed_at, cost, "refund", f"{why}退回：{name}"[:200], f"refund:{red}")
        return (-cost, "redeem", f"兑换：{name}"[:200], f"redeem:{red}"), refund

    def _write_person(self, p: "_Person") -> None:
        uid = p.uid
        self.seen.extend((uid, q) for q in p.seen)
        for qid, c in p.cards.items():
            self.cards.append((uid, qid, c[11], c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]))
            if c[8]:
                self.book.append((uid, qid, c[11], c[12], c[9], c[10]))
        self.review_days.extend((uid, d) for d in p.review_days)
        self.allowances.extend((uid, self.day_date[d], rule, earned, last) for (d, rule), (earned, last) in p.allowances.items())
        self.tallies.extend((uid, period, p.unit, points) for period, points in p.tallies.items())

    # -- the cadres' exams ---------------------------------------------------------
    def _exams(self, roster: list[tuple]) -> None:
        rng = self.rng
        cats = {c.name: c.id for c in self.shipped}
        by_rule: dict = {}
        for category, questions in self.shipped.items():
            for q in questions:
                by_rule.setdefault((category.id, q.type), []).append(q)
        self.exam_questions = {q.id: q for questions in self.shipped.values() for q in questions}
        end = self.data_end
        closes = end - timedelta(days=7)
        exams = [
            (f"{self.year}年度领导干部学法考试（区级压测）", "annual", closes - timedelta(days=21), closes, ANNUAL_RULES, 60, 2, None),
            (f"{self.year}年新提拔领导干部任前法律知识考试（区级压测）", "new_leader", end - timedelta(days=90),
             end - timedelta(days=87), NEW_LEADER_RULES, 70, 1, True),
        ]
        for title, kind, opens, closes_at, rules, pass_score, allowed, new_leaders in exams:
            if opens < self.day_utc[0]:
                continue  # too early in the year for this exam
            eid = self.ids.take(Exam.__table__)
            self._insert(Exam.__table__, [{
                "id": eid, "title": title, "kind": kind, "opens_at": opens, "closes_at": closes_at, "duration_minutes": 60,
                "pass_score": pass_score, "attempts_allowed": allowed, "assign_all": not new_leaders,
                "assign_new_leaders": bool(new_leaders), "shuffle_options": True, "review_policy": "after_close",
                "excellent_percent": 90, "good_percent": 80, "created_at": opens - timedelta(days=14)}])
            wants = [(cats[law], qtype, count, points) for law, qtype, count, points in rules]
            self._insert(PaperRule.__table__, [{"id": self.ids.take(PaperRule.__table__), "exam_id": eid, "category_id": c,
                                                "qtype": t, "count": n, "points": pt} for c, t, n, pt in wants])
            total = sum(n * pt for _, _, n, pt in wants)
            window = int((closes_at - opens).total_seconds()) - 4000
            for cadre_id, uid, promoted in roster:
                if (new_leaders and not promoted) or rng.random() > 0.92:
                    continue
                skill = rng.uniform(0.45, 0.97)
                started = opens + timedelta(seconds=rng.randint(0, window))
                for number in range(1, allowed + 1):
                    submitted, passed = self._sit(eid, uid, cadre_id, number, started, wants, by_rule, skill, total, pass_score,
                                                  closes_at)
                    started = submitted + timedelta(hours=rng.randint(1, 72))
                    if passed or rng.random() < 0.4 or started > closes_at - timedelta(hours=1):
                        break  # passed, gave up, or no time left for another attempt
            self.sink.flush_if_full()

    def _sit(self, eid, uid, cadre_id, number, started, wants, by_rule, skill, total, pass_score, closes) -> tuple[datetime, bool]:
        rng = self.rng
        paper = [[q.id, pt, None if q.type == "true_false" else rng.sample([o["key"] for o in q.options], len(q.options))]
                 for c, t, n, pt in wants for q in rng.sample(by_rule[(c, t)], n)]
        rng.shuffle(paper)
        aid = self.ids.take(ExamAttempt.__table__)
        score = 0
        t = started
        for position, (qid, pt, order) in enumerate(paper):
            q = self.exam_questions[qid]
            t += timedelta(seconds=rng.randint(15, 60))
            correct = rng.random() < skill
            given = sorted(q.answer) if correct else _wrong(q)
            score += pt if correct else 0
            self.attempt_items.append((aid, qid, position, pt, _json(order) if order else None, _json(given), t, correct,
                                       pt if correct else 0))
        deadline = min(started + timedelta(minutes=60), closes)
        submitted = min(t + timedelta(minutes=1), deadline)
        self.attempts.append((aid, eid, uid, cadre_id, number, "submitted", started, deadline, submitted, score,
                              score >= pass_score, total, pass_score, _json(paper)))
        return submitted, score >= pass_score

    # -- what the rows leave to set ------------------------------------------------
    def _finish(self) -> None:
        conn = self.conn
        for town in self.towns:
            for event in town.events:
                if event["count"]:
                    conn.execute(Event.__table__.update().where(Event.__table__.c.id == event["id"]).values(checkin_count=event["count"]))
        if self.sink.pg:
            for name in self.ids.next:
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)")


class _Person:
    """One person's year as it is simulated: what they have seen, their cards, their
    daily allowances and tallies, and the ledger entries to write in time order."""

    def __init__(self, uid: int, unit: int | None, skill: float):
        self.uid, self.unit, self.skill = uid, unit, skill
        self.seen: set[int] = set()
        self.cards: dict[int, list] = {}
        self.heap: list = []
        self.review_days: set[date] = set()
        self.allowances: dict = {}
        self.tallies: Counter = Counter()
        self.credits: list = []
        self.first: datetime | None = None
        self.last: datetime | None = None
        self.redeemed = 0

    def saw(self, start: datetime, end: datetime) -> None:
        self.first = min(self.first or start, start)
        self.last = max(self.last or end, end)

    def due(self, now: datetime, count: int) -> list[int]:
        """Up to `count` questions whose cards are due at `now`, most overdue first."""
        out = []
        while self.heap and len(out) < count and self.heap[0][0] <= now:
            due, qid = heapq.heappop(self.heap)
            if self.cards[qid][4] == due and qid not in out:  # else superseded by a later answer
                out.append(qid)
        return out

    def requeue(self, qid: int) -> None:
        card = self.cards.get(qid)
        if card is not None:
            heapq.heappush(self.heap, (card[4], qid))

    def credit(self, b: _Builder, at: datetime, rule: str, points: int, key: str, note: str = "") -> int:
        """points.ledger.credit's arithmetic: the daily cap of a capped rule, then the tallies."""
        cap = b.rules[rule].daily_cap
        if points <= 0:
            return 0
        day = b.day_of(at)
        if cap is not None:
            row = self.allowances.get((day, rule))
            if row is None:
                take = min(points, cap)
                self.allowances[(day, rule)] = [take, take]
            else:
                room = cap - row[0]
                take = room if room < points else points
                row[1] = take
                row[0] += take
            points = take
            if points <= 0:
                return 0
        self.credits.append((at, points, rule, note or REASON_LABELS.get(rule, ""), key, day))
        for period in b.day_keys[day].values():
            self.tallies[period] += points
        return points
