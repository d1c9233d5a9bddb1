"""居民 → 掌握程度: how well each village knows each law (learning.mastery.by_village) over
a year or a chosen period, as a heat map beside the same numbers in a table, the laws each
village most needs taught, and a workbook. Counts by village only: no one's name.

District staff looking at the whole district of several towns see its towns instead
(learning.mastery.of_scope decides), each linking to that town's villages."""
import io
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask import request, send_file
from flask_admin import expose

from admin.auth import StaffView
from admin.tenancy import chosen_town, picker
from core import xlsx
from core.timeutil import local_midnight_utc, local_text, local_today, utcnow
from learning import mastery
from reports import snapshots
from reports.figures import year_bounds

MIN_YEAR, MAX_YEAR = 2000, 2100
MAX_YEARS = 5  # a chosen period spans at most this many years
SUGGESTED = 3  # villages (or towns) named in the suggestion for the next event
# How the page and the workbook name a row: a town in the district's view of its towns, else a village.
WORDS = {True: {"unit": "镇", "each": "各镇", "own": "本镇", "sheet": "各镇知晓度"},
         False: {"unit": "村（社区）", "each": "各村（社区）", "own": "本村", "sheet": "各村知晓度"}}


class BadPeriod(ValueError):
    """A period that cannot be shown; the message says why, in words for the clerk."""


def _date(raw: str, what: str) -> date:
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise BadPeriod(f"{what}“{raw[:20]}”不是有效的日期，请按 年-月-日 填写，如 2026-01-01。") from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise BadPeriod(f"{what}须在 {MIN_YEAR} 年至 {MAX_YEAR} 年之间。")
    return day


def _period(args) -> dict:
    """The period asked for, in Beijing time: a chosen from–to (both days included) when
    either date is given, else a calendar year (this year by default)."""
    first, last = args.get("from", "").strip(), args.get("to", "").strip()
    if first or last:
        if not (first and last):
            raise BadPeriod("请同时填写开始日期和结束日期。")
        first_day, last_day = _date(first, "开始日期"), _date(last, "结束日期")
        if last_day < first_day:
            raise BadPeriod("结束日期不能早于开始日期。")
        if (last_day - first_day).days >= MAX_YEARS * 366:
            raise BadPeriod(f"时间段最长 {MAX_YEARS} 年，请缩短后再查看。")
        return {"kind": "range", "year": last_day.year,
                "start": local_midnight_utc(first_day), "end": local_midnight_utc(last_day + timedelta(days=1)),
                "title": f"{first_day:%Y年%m月%d日}至{last_day:%Y年%m月%d日}"}
    raw = args.get("year", "").strip()
    if raw and not (raw.isascii() and raw.isdigit() and MIN_YEAR <= int(raw) <= MAX_YEAR):
        raise BadPeriod(f"年份须为 {MIN_YEAR} 至 {MAX_YEAR} 之间的整数，如 {local_today().year}。")
    year = int(raw) if raw else local_today().year
    start, end = year_bounds(year)
    return {"kind": "year", "year": year, "start": start, "end": end, "title": f"{year}年"}


def _pct(share: float | None) -> float | None:
    """A share as a percentage with one decimal, rounded half up as reports.figures.percent
    rounds (46.25 → 46.3), not as binary floats happen to fall."""
    if share is None:
        return None
    return float(Decimal(repr(round(share * 100, 6))).quantize(Decimal("0.1"), ROUND_HALF_UP))


def _table(data: dict) -> dict:
    """by_village's (or by_town's) result as the page and the workbook show it: every cell
    in law order (未学 where no one met the law), each row's mean 知晓度, and the suggestion."""
    laws = data["laws"]
    towns = "towns" in data
    units = data["towns" if towns else "villages"]
    rows = []
    for v in units:
        cells = []
        for law in laws:
            c = v["cells"].get(law.id)
            cells.append({"law": law.name, "learners": c["learners"] if c else 0, "level": c["level"] if c else mastery.NOT_STUDIED,
                          "score": _pct(c["score"]) if c else 0.0, "retrievability": _pct(c["retrievability"]) if c else None,
                          "met_share": _pct(c["met_share"]) if c else 0.0, "coverage": _pct(c["coverage"]) if c else 0.0})
        mean = sum(c["score"] for c in v["cells"].values()) / len(laws) if laws else 0.0
        rows.append({"unit_id": v["unit_id"], "unit": v["unit"], "people": v["people"], "cells": cells,
                     "mean": _pct(mean), "weakest": v["weakest"]})
    # Only a named village (or town) can host an event; the lowest mean 知晓度 first, by name
    # on a tie (rows come by name). With nothing learned in the period there is nothing to compare.
    studied = any(v["cells"] for v in units)
    named = sorted((r for r in rows if r["unit_id"] is not None and r["weakest"]), key=lambda r: r["mean"]) if studied else []
    return {"laws": [law.name for law in laws], "rows": rows, "studied": studied, "counted_at": data.get("counted_at"),
            "towns": towns, "words": WORDS[towns],
            "suggestions": [(r["unit"], r["weakest"][0]) for r in named[:SUGGESTED]]}


def _chart(table: dict) -> dict:
    """What static/mastery-heatmap.js draws: [law index, row (village or town) index, 知晓度 %,
    记忆保持率 %, 已学题目比例 %, learners, people, level] per cell."""
    return {"laws": table["laws"], "units": [r["unit"] for r in table["rows"]],
            "cells": [[x, y, c["score"], c["retrievability"], c["met_share"], c["learners"], r["people"], c["level"]]
                      for y, r in enumerate(table["rows"]) for x, c in enumerate(r["cells"])]}


def _levels() -> list[str]:
    """The levels in words, from learning.mastery.LEVELS (the one place of the thresholds)."""
    return [f"{name}：记忆保持率不低于 {round(r * 100)}%、已学题目比例不低于 {round(m * 100)}%" for r, m, name in mastery.LEVELS] + [
        f"{mastery.BEGINNER}：学过但未达到以上标准", f"{mastery.NOT_STUDIED}：本期间没有人学过"]


def _mastery(period: dict) -> dict:
    """learning.mastery.of_scope of the period: a calendar year as last counted
    (reports.snapshots; it says when, in `counted_at`), a chosen period counted now."""
    if period["kind"] == "year":
        return snapshots.mastery_of(period["year"], chosen_town())
    return mastery.of_scope(period["start"], period["end"], utcnow(), chosen_town())


class MasteryView(StaffView):
    """掌握程度: villages × laws (the district's towns × laws), for a year or a chosen period."""

    def _page(self, period: dict | None, table: dict | None, problem: str | None, status: int = 200):
        args = {k: v for k, v in request.args.items() if k in ("year", "from", "to", "town")}
        return self.render("admin/mastery.html", period=period, table=table, problem=problem, args=args,
                           chart=_chart(table) if table else None, levels=_levels(),
                           this_year=local_today().year, min_year=MIN_YEAR, max_year=MAX_YEAR, **picker()), status

    @expose("/")
    def index(self):
        try:
            period = _period(request.args)
        except BadPeriod as bad:
            return self._page(None, None, str(bad), 400)
        return self._page(period, _table(_mastery(period)), None)

    @expose("/export.xlsx")
    def export(self):
        try:
            period = _period(request.args)
        except BadPeriod as bad:
            return self._page(None, None, str(bad), 400)
        from openpyxl import Workbook

        table = _table(_mastery(period))
        words = table["words"]
        book = Workbook()
        ws = xlsx.sheet(book, words["sheet"], [words["unit"], "注册人数", *(f"《{law}》知晓度（%）" for law in table["laws"]),
                                             "平均知晓度（%）", "最需要普法的法律"], [20, 10, *(16 for _ in table["laws"]), 14, 40], first=True)
        for r in table["rows"]:
            ws.append([r["unit"], r["people"], *(c["score"] for c in r["cells"]), r["mean"], "、".join(f"《{n}》" for n in r["weakest"])])
        detail = xlsx.sheet(book, "明细", [words["unit"], "法律", "掌握程度", "知晓度（%）", "记忆保持率（%）", "已学题目比例（%）",
                                          "参与人数比例（%）", "参与人数", "注册人数"], [20, 24, 10, 12, 14, 16, 16, 10, 10])
        for r in table["rows"]:
            for c in r["cells"]:
                detail.append([r["unit"], c["law"], c["level"], c["score"], c["retrievability"], c["met_share"], c["coverage"],
                               c["learners"], r["people"]])
        ws.append([])
        if table["suggestions"]:
            ws.append(["下一场活动建议：" + "；".join(f"{unit} 宣讲《{law}》" for unit, law in table["suggestions"])])
        ws.append([f"{period['title']}{words['each']}法律知晓度，导出于 {local_text(utcnow())}（北京时间）"])
        name = f"{period['title']}法律掌握程度.xlsx"
        return send_file(io.BytesIO(xlsx.to_bytes(book)), as_attachment=True, download_name=name, mimetype=xlsx.MIME)
