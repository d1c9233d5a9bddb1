"""The panel's year pages show the figures as last counted (reports.snapshots)."""
from tests.admin.conftest import login
from tests.reports.town import answers, at, points


def test_the_panels_year_pages_read_the_count_and_never_the_answers_or_the_ledger(panel, make, count_queries):
    person, q = make.user(), make.question()
    answers(person, "daily", at(2026, 3, 2, 10, 0), [(q, True)])
    points(person, 5, "daily_quiz", at(2026, 3, 2, 10, 0))
    login(panel, make.admin("admin"))
    pages = ("/admin/", "/admin/archive/?year=2026", "/admin/books/?year=2026", "/admin/mastery/?year=2026")
    for page in pages:
        assert panel.get(page).status_code == 200  # the first view counts
    for page in pages:
        with count_queries() as sql:
            html = panel.get(page).get_data(as_text=True)
        assert 'id="counted-at"' in html, page
        scans = [s for s in sql if any(t in s for t in ("quiz_item", "points_entry", "review_card"))]
        assert scans == [], (page, scans)
