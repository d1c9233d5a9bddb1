"""The year's archive and the figures for the annual rule-of-law report, in the panel.
The figures come from reports.figures and the archive from activities.archive; this
module only shows and sends them."""
import io
import os
import tempfile

from flask import abort, current_app, request, send_file
from flask_admin import expose

from activities import archive
from admin.auth import StaffView
from admin.tenancy import chosen_town, picker
from core import xlsx
from core.timeutil import local_today, utcnow
from reports import snapshots, workbook


def _year(year: int) -> int:
    if not archive.MIN_YEAR <= year <= archive.MAX_YEAR:
        abort(404)
    return year


class ArchiveView(StaffView):
    """The year's figures for the annual report, and the archive to download."""

    @expose("/")
    def index(self):
        now = utcnow()
        current = local_today(now).year
        years = sorted(set(archive.archive_years()) | {current}, reverse=True)
        year = request.args.get("year", type=int)
        if year is None or year not in years:
            year = current
        town, towns = chosen_town(), picker()
        counted = snapshots.year_of(year, town, with_towns=towns["district"] and town is None, glance=False)
        return self.render("admin/archive.html", year=year, years=years, f=counted.figures, by_town=counted.by_town,
                           counted_at=counted.counted_at, **towns)

    @expose("/<int:year>/figures.xlsx")
    def figures_xlsx(self, year):
        data = workbook.figures_xlsx(snapshots.counted("figures", _year(year), chosen_town()).data)
        return send_file(io.BytesIO(data), as_attachment=True, download_name=f"{year}年普法工作统计.xlsx",
                         mimetype=xlsx.MIME)

    @expose("/<int:year>/archive.zip")
    def archive_zip(self, year):
        _year(year)
        # The archive may hold gigabytes of photos: written to a temp file beside the
        # upload store (not /tmp, often in memory), unlinked at once, and sent from the
        # open file, which the response closes when it is done.
        directory = os.path.join(current_app.config["UPLOAD_DIR"], "tmp")
        os.makedirs(directory, exist_ok=True)
        fd, path = tempfile.mkstemp(dir=directory, prefix="archive-", suffix=".zip")
        out = os.fdopen(fd, "w+b")
        try:
            os.unlink(path)
            town = chosen_town()
            archive.write_archive(year, out, utcnow(), town, snapshots.counted("figures", year, town).data)
            out.seek(0)
        except BaseException:
            out.close()
            raise
        response = send_file(out, as_attachment=True, download_name=f"{year}年普法活动档案.zip",
                             mimetype="application/zip", conditional=False, etag=False)
        response.content_length = os.fstat(out.fileno()).st_size
        return response
