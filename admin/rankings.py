"""排行榜 in the panel: people and units ranked for a week, a month, a year or all time,
by points.leaderboard (the rule the mini-program's boards follow), with workbooks."""
import io
from datetime import date

from flask import request, send_file
from flask_admin import expose

from accounts import tenancy
from accounts.models import ORG_KIND_LABELS
from admin import personal_data
from admin.auth import StaffView
from admin.tenancy import chosen_town, picker, unit_choices
from admin.views import asked_page
from core import xlsx
from core.timeutil import local_text, local_today, utcnow
from points import leaderboard

PAGE_SIZE = 50
# A workbook of the people's board stops here: prizes go to the first few hundred, and a
# district's whole board would be a sheet of 100,000 rows.
EXPORT_PEOPLE = 5000
UNIT_KINDS = {"village": ("村和社区", ("village", "community")), "department": ("部门", ("department",)), "all": ("全部单位", None)}
MIN_YEAR, MAX_YEAR = 2000, 2100


def _choice(name: str, allowed, default: str) -> str:
    value = request.args.get(name, default)
    return value if value in allowed else default


class RankingView(StaffView):
    def _params(self) -> dict:
        today = local_today()
        year = request.args.get("year", type=int) or today.year
        year = min(max(year, MIN_YEAR), MAX_YEAR)
        period = _choice("period", leaderboard.PERIODS, "month")
        unit = request.args.get("unit", "")
        return {
            "board": _choice("board", ("people", "units"), "people"), "period": period, "year": year,
            # The year chosen, else the current week or month: the day the board's period holds.
            "day": date(year, 1, 1) if period == "year" else today,
            "unit": int(unit) if unit.isdigit() else None, "kinds": _choice("kinds", UNIT_KINDS, "village"),
            "town": chosen_town(),
        }

    def _title(self, p: dict) -> str:
        if p["period"] == "year":
            when = f"{p['year']}年"
        elif p["period"] == "all":
            when = "总榜"
        else:
            when = leaderboard.PERIOD_LABELS[p["period"]]
        return f"{when}{'个人' if p['board'] == 'people' else UNIT_KINDS[p['kinds']][0]}积分排行"

    @expose("/")
    def index(self):
        p = self._params()
        page = asked_page()
        if p["board"] == "people":
            total = leaderboard.people_count(p["period"], p["unit"], p["day"], p["town"])
            rows = leaderboard.people_board(p["period"], p["unit"], PAGE_SIZE, (page - 1) * PAGE_SIZE, p["day"], p["town"])
        else:
            rows = leaderboard.unit_board(p["period"], UNIT_KINDS[p["kinds"]][1], p["day"], p["town"])
            total, page = len(rows), 1
        args = {k: v for k, v in request.args.items() if k != "page"}
        towns = picker()
        return self.render(
            "admin/rankings.html", p=p, rows=rows, total=total, page=page, pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
            if p["board"] == "people" else 1, args=args, title=self._title(p), periods=leaderboard.PERIOD_LABELS,
            unit_kinds={k: v[0] for k, v in UNIT_KINDS.items()}, units=unit_choices(p["town"], p["unit"], towns["district"]),
            kinds=ORG_KIND_LABELS, export_limit=EXPORT_PEOPLE, **towns,
        )

    @expose("/export.xlsx")
    def export(self):
        p = self._params()
        from openpyxl import Workbook

        book = Workbook()
        title = self._title(p)
        if p["board"] == "people":
            ws = xlsx.sheet(book, "个人排行", ["名次", "姓名", "微信昵称", "村、社区或单位", "积分"], [8, 14, 20, 24, 10], first=True)
            for s in leaderboard.people_board(p["period"], p["unit"], EXPORT_PEOPLE, 0, p["day"], p["town"]):
                ws.append([s.rank, s.real_name, s.nickname, s.unit_name or "未填写", s.points])
            if (total := leaderboard.people_count(p["period"], p["unit"], p["day"], p["town"])) > EXPORT_PEOPLE:
                title += f"（共 {total} 人，只列出前 {EXPORT_PEOPLE} 名）"
        else:
            ws = xlsx.sheet(book, "单位排行", ["名次", "单位", "类型", "积分", "有积分人数", "注册人数", "人均积分"],
                            [8, 24, 10, 10, 12, 10, 10], first=True)
            for s in leaderboard.unit_board(p["period"], UNIT_KINDS[p["kinds"]][1], p["day"], p["town"]):
                ws.append([s.rank, s.name, ORG_KIND_LABELS.get(s.kind, s.kind), s.points, s.earners, s.members,
                           round(s.points / s.members, 1) if s.members else None])
        ws.append([])
        ws.append([f"{tenancy.town_name(p['town'])}{title}，导出于 {local_text(utcnow())}（北京时间）"])
        if p["board"] == "people":
            personal_data.exported("ranking", "", f"导出{title}")
        return send_file(io.BytesIO(xlsx.to_bytes(book)), as_attachment=True, download_name=f"{self._title(p)}.xlsx", mimetype=xlsx.MIME)
