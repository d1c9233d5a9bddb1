"""Every error in the contract's format; the docs page works offline."""
import re


def test_unknown_route_and_wrong_method_are_json_errors(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404 and set(r.get_json()) == {"code", "message", "details"}
    assert r.get_json()["code"] == "not_found"
    r = client.delete("/api/v1/healthz")
    assert r.status_code == 405 and r.get_json()["code"] == "method_not_allowed"


def test_malformed_json_is_a_clear_4xx(api, make):
    me = api.as_user(make.user())
    r = me.post("/quizzes", data="{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    assert r.get_json()["code"] == "bad_request" and "JSON" in r.get_json()["message"]


def test_json_nested_too_deep_is_a_400_not_a_crash(api, make):
    # Deeper than Python's recursion limit: json.loads raises RecursionError, not ValueError.
    r = api.post("/auth/login", data="[" * 100_000, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.get_json()["code"] == "bad_request"


def test_validation_errors_name_the_fields(api, make):
    me = api.as_user(make.user())
    r = me.post("/quizzes", json={"mode": "weekly", "category_id": "x"})
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == "validation_error" and set(body["details"]) == {"mode", "category_id"}
    assert re.search(r"[\u4e00-\u9fff]", body["message"])


def test_healthz(client):
    assert client.get("/api/v1/healthz").get_json() == {"status": "ok"}


def test_docs_page_serves_its_own_assets(client):
    page = client.get("/docs").get_data(as_text=True)
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(u.startswith("/") for u in urls), urls
    for url in urls:
        assert client.get(url).status_code == 200


def test_openapi_documents_the_contract(client):
    spec = client.get("/openapi.json").get_json()
    paths = spec["paths"]
    for path, method in [("/api/v1/auth/login", "post"), ("/api/v1/me", "patch"), ("/api/v1/quizzes/{quiz_id}/answers", "post"),
                         ("/api/v1/leaderboard", "get"), ("/api/v1/wrong-answers", "get"), ("/api/v1/points/ledger", "get")]:
        assert method in paths[path]
    answer = paths["/api/v1/quizzes/{quiz_id}/answers"]["post"]
    assert {"200", "401", "404", "409", "422"} <= set(answer["responses"])
    # Its body is read without webargs (api.bodies) but documented all the same.
    body = answer["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][body]["required"]) == {"question_id", "answer"}
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert answer["security"] == [{"BearerAuth": []}]


def test_nul_characters_are_refused_not_stored(api, make):
    r = api.post("/auth/login", json={"code": "dev\x00"})
    assert r.status_code == 422 and "code" in r.get_json()["details"]
    r = api.as_user(make.user()).patch("/me", json={"nickname": "张\x00三"})
    assert r.status_code == 422 and "nickname" in r.get_json()["details"]


def test_openapi_documents_issue_18_s_additions(client):
    spec = client.get("/openapi.json").get_json()
    paths, schemas = spec["paths"], spec["components"]["schemas"]
    assert "get" in paths["/api/v1/reviews"] and "get" in paths["/api/v1/me/mastery"]
    assert set(schemas["ReviewsOut"]["properties"]) == {"due_today", "overdue", "next_due_at", "streak_days"}
    assert set(schemas["MasteryOut"]["properties"]) == {"category", "retrievability", "met_share", "level"}
    assert "article_text" in schemas["AnswerResult"]["properties"]
    assert "next_review_at" in schemas["WrongAnswerOut"]["properties"]
    assert "review" in schemas["QuizIn"]["properties"]["mode"]["enum"]
