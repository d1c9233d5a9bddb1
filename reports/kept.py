"""Counts kept as JSON rows of figure_snapshot: the year's figures (reports.snapshots)
and counts kept for good once nothing can change them (`final`, `keep_final`).

A count kept for good is of one thing (year 0, scope = its id: an event's learning gain,
an exam's question analysis) and is stored with what it rests on (`basis`: the thing's
settings that could change it). It is read only while the thing still has that basis,
so an edited event or a reopened exam is counted again. An event's gain in its days after
is kept the same way as last counted (reports.learning_gain.LIVE), and read only while
recent.

What is read back is JSON: dates and times come back as dates and times, dataclasses
as dicts, tuples as lists."""
import json
from dataclasses import asdict, is_dataclass
from datetime import date, datetime

from sqlalchemy import select

from core import transactions
from core.extensions import db
from core.sql import insert
from reports.models import FigureSnapshot

# The shape of what is kept, stored with each row's kind ("figures/1"). A change to what a
# kind's function returns raises it: rows of an older shape are never read, so an upgraded
# app counts afresh instead of failing on them, and the next refresh deletes them.
# 2: the district of several towns' figures are by town (reports.figures._by_towns).
SHAPE = 2
FINAL_YEAR = 0  # the year of a count kept for good: it is of one thing, not of a year


def stored(kind: str) -> str:
    return f"{kind}/{SHAPE}"


def keep(kind: str, year: int, scopes: dict[int, dict], now: datetime) -> dict[int, str]:
    """Keep `scopes`' data ({scope: data}) as counted at `now`, in place of any kept
    before; returns their JSON text by scope. One statement: two first views counting at
    once both keep theirs, the later winning."""
    texts = {scope: encode(data) for scope, data in scopes.items()}
    if texts:
        upsert = insert(FigureSnapshot.__table__)
        with transactions.writing():
            db.session.execute(
                upsert.on_conflict_do_update(index_elements=["kind", "year", "scope"],
                                             set_={"counted_at": upsert.excluded.counted_at, "data": upsert.excluded.data}),
                [{"kind": stored(kind), "year": year, "scope": scope, "counted_at": now, "data": text} for scope, text in texts.items()])
    return texts


def final(kind: str, bases: dict[int, list]) -> dict[int, object]:
    """{scope: data} of the counts of `kind` kept for good for `bases` ({scope: basis}),
    of those still resting on the same basis. One statement."""
    if not bases:
        return {}
    rows = db.session.execute(select(FigureSnapshot.scope, FigureSnapshot.data).where(
        FigureSnapshot.kind == stored(kind), FigureSnapshot.year == FINAL_YEAR, FigureSnapshot.scope.in_(list(bases))))
    kept = {scope: decode(text) for scope, text in rows}
    return {scope: k["data"] for scope, k in kept.items() if k["basis"] == bases[scope]}


def keep_final(kind: str, counted: dict[int, tuple[list, object]], now: datetime) -> None:
    """Keep for good {scope: (basis, data)}."""
    keep(kind, FINAL_YEAR, {scope: {"basis": basis, "data": data} for scope, (basis, data) in counted.items()}, now)


def _encode(value):
    if isinstance(value, datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if is_dataclass(value):
        return asdict(value)
    raise TypeError(f"cannot keep {type(value).__name__} in a snapshot")


def _decode_object(obj: dict):
    if len(obj) == 1:
        if "$datetime" in obj:
            return datetime.fromisoformat(obj["$datetime"])
        if "$date" in obj:
            return date.fromisoformat(obj["$date"])
    return obj


def decode(text: str):
    return json.loads(text, object_hook=_decode_object)


def encode(data) -> str:
    return json.dumps(data, default=_encode, ensure_ascii=False)
