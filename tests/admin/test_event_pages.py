"""The projector's state and the command-line code, through the test client."""

from activities import tokens
from activities.models import CheckIn
from core.extensions import db
from core.timeutil import utcnow
from tests.admin.conftest import login


def test_projector_state_costs_the_same_with_many_check_ins(panel, make, count_queries):
    login(panel, make.admin("admin"))
    small, big = make.event(), make.event()
    crowd = [make.user() for _ in range(300)]
    db.session.add_all([CheckIn(event_id=big.id, user_id=u.id, checked_in_at=utcnow()) for u in crowd])
    big.checkin_count = len(crowd)
    db.session.flush()
    panel.get(f"/admin/events/projector/{small.id}/state.json")  # the signed-in account is loaded once, as in any session
    counts = []
    for event in (small, big):
        with count_queries() as sql:
            state = panel.get(f"/admin/events/projector/{event.id}/state.json").get_json()
        counts.append(len(sql))
        assert tokens.read(state["token"])[0] == event.id and "<svg" in state["svg"]
    assert state["count"] == 300
    assert counts[0] == counts[1]


def test_projector_needs_a_login(client, make):
    event = make.event()
    assert client.get(f"/admin/events/projector/{event.id}/state.json").status_code in (302, 403)


def test_events_token_command_prints_a_working_code(app, make, api):
    event = make.event(latitude=None, longitude=None, radius_m=None)
    result = app.test_cli_runner().invoke(args=["events", "token", str(event.id)])
    assert result.exit_code == 0, result.output
    token = next(line.split("：", 1)[1] for line in result.output.splitlines() if line.startswith("签到码："))
    assert "█" in result.output or "▀" in result.output  # the QR drawn in the terminal
    assert api.as_user(make.user()).post("/checkins", json={"token": token}).status_code == 201
    assert app.test_cli_runner().invoke(args=["events", "token", "999999"]).exit_code != 0


def test_the_event_form_offers_no_exam_only_law_for_the_on_site_quiz(panel, make):
    login(panel, make.admin("admin"))
    open_law, kept = make.category(name="民法典（现场）"), make.category(name="任前考试专用法规", exam_only=True)
    page = panel.get("/admin/events/new/").get_data(as_text=True)
    assert open_law.name in page and kept.name not in page
