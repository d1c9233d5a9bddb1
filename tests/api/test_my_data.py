"""GET /me/data: everything held about the person (个人信息保护法's right of access)."""
import json

from tests.accounts.history import person_with_history

TOP_LEVEL = {"profile", "org_unit", "cadre", "points_ledger", "points_tallies", "points_daily", "quizzes", "wrong_answers",
             "review_cards", "review_days", "seen_questions", "checkins", "photos", "redemptions", "exam_attempts",
             "subscription_credits", "reminders"}


def test_the_export_holds_my_rows_in_beijing_time_and_none_of_anyone_elses(api, make):
    exam = make.exam()
    mine = person_with_history(api, make, cadre_exam=exam, name="张三丰")
    other = person_with_history(api, make, cadre_exam=exam, name="李四光")

    r = mine.client.get("/me/data")
    assert r.status_code == 200
    data = r.get_json()
    assert set(data) == TOP_LEVEL
    assert data["profile"]["real_name"] == "张三丰" and data["profile"]["id"] == mine.user.id
    assert data["org_unit"]["id"] == mine.user.org_unit_id
    # The roster's row, phone unmasked: it is their own.
    assert data["cadre"]["name"] == "张三丰" and len(data["cadre"]["phone"]) == 11
    assert [q["id"] for q in data["quizzes"]] == mine.quiz_ids
    answered = [i for i in data["quizzes"][0]["items"] if i["answer"] is not None]
    assert [(i["answer"], i["correct"]) for i in answered] == [(["B"], True), (["A"], False)]
    assert all(i["correct_answer"] == ["B"] for i in answered)
    # Questions drawn but not answered keep their answers on the server.
    assert all(i["correct_answer"] is None for i in data["quizzes"][0]["items"] if i["answer"] is None)
    assert len(data["wrong_answers"]) == 1 and len(data["review_cards"]) == 2
    checkin = data["checkins"][0]
    assert (checkin["latitude"], checkin["longitude"]) == (30.5123, 114.3456) and checkin["checked_in_at"].endswith("+08:00")
    assert [p["id"] for p in data["photos"]] == [mine.photo_id] and data["photos"][0]["url"].startswith("/")
    assert [x["id"] for x in data["redemptions"]] == mine.redemption_ids and data["redemptions"][0]["status"] == "pending"
    assert [a["id"] for a in data["exam_attempts"]] == [mine.attempt_id]
    assert data["exam_attempts"][0]["answers"][0]["answer"] is not None
    assert data["subscription_credits"] == [{"template": "reward_ready", "credits": 2,
                                             "updated_at": data["subscription_credits"][0]["updated_at"]}]
    assert data["reminders"][0]["status"] == "sent" and data["reminders"][0]["sent_at"].endswith("+08:00")
    assert sum(e["delta"] for e in data["points_ledger"]) == data["profile"]["points_balance"]
    assert all(e["created_at"].endswith("+08:00") for e in data["points_ledger"])

    text = json.dumps(data, ensure_ascii=False)
    assert "李四光" not in text and other.user.openid not in text
    assert not set(other.quiz_ids) & {q["id"] for q in data["quizzes"]}
    assert other.photo_id not in {p["id"] for p in data["photos"]}
    assert not set(other.redemption_ids) & {x["id"] for x in data["redemptions"]}
    # Server-only secrets stay there, even in the person's own export.
    assert "openid" not in text and "session_key" not in text


def test_a_resident_without_roster_or_exams_gets_empty_parts(api, make):
    me = api.as_user(make.user())
    data = me.get("/me/data").get_json()
    assert data["cadre"] is None and data["org_unit"] is None
    assert data["quizzes"] == [] and data["checkins"] == [] and data["exam_attempts"] == []


def test_the_export_sends_the_same_statements_however_much_the_person_did(api, make, count_queries):
    exam = make.exam()
    small = person_with_history(api, make, quizzes=1, events=1, cadre_exam=exam)
    large = person_with_history(api, make, quizzes=4, events=5, cadre_exam=exam)
    counts = []
    for h in (small, large):
        with count_queries() as sql:
            assert h.client.get("/me/data").status_code == 200
        counts.append(len(sql))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 20  # one a table, never one a row


def test_the_export_needs_a_token(api):
    assert api.get("/me/data").status_code == 401


def test_the_openapi_document_names_the_export_and_deletion(client):
    spec = client.get("/openapi.json").get_json()
    assert "delete" in spec["paths"]["/api/v1/me"]
    assert "204" in spec["paths"]["/api/v1/me"]["delete"]["responses"]
    out = spec["paths"]["/api/v1/me/data"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    props = spec["components"]["schemas"][out["$ref"].rsplit("/", 1)[1]]["properties"]
    assert set(props) == TOP_LEVEL
