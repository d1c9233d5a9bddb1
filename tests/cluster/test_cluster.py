"""The cluster as in production (scripts/cluster): two app servers behind nginx on one
PostgreSQL and one Redis. Shared state is shared whichever server answers; killing an
app server or restarting PostgreSQL under load loses nothing acknowledged.

The tests run in this order: the last two break things (and repair them)."""
import io
import random
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests
from PIL import Image

from core.timeutil import utcnow
from deploy.cluster import APP_SERVERS, WORKERS_PER_SERVER

API = "/api/v1"
UNAVAILABLE = {"code": "service_unavailable", "message": "服务暂时不可用，请稍后再试。", "details": {}}


def _concurrently(*calls):
    """Run the calls at once (released together); their results in order."""
    gate = threading.Barrier(len(calls))

    def run(call):
        gate.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return [f.result() for f in [pool.submit(run, c) for c in calls]]


def _count(log: str, needle: str) -> int:
    return sum(needle in line for line in log.splitlines())


def _served(cluster, needle: str, before: list[int]) -> list[int]:
    """How many `needle` requests each app server logged since `before`, once the
    counts stop changing (gunicorn writes a line after its response)."""
    counts, last = None, time.monotonic() + 3
    while time.monotonic() < last:
        now = [_count(cluster.access_log(i), needle) - before[i - 1] for i in (1, 2)]
        if now == counts:
            return now
        counts = now
        time.sleep(0.3)
    return counts


def test_nginx_serves_the_static_files_and_the_app_everything_else(cluster):
    before = [cluster.access_log(i) for i in (1, 2)]
    for path in ("/static/favicon.ico", "/admin/panel-static/event-photos.js", "/admin/static/vendor/jquery.min.js",
                 "/docs/assets/swagger-ui-bundle.js"):
        r = requests.get(cluster.url + path)
        assert r.status_code == 200 and r.content and r.headers["X-Content-Type-Options"] == "nosniff", path
    assert [cluster.access_log(i) for i in (1, 2)] == before  # no app server was asked
    r = requests.get(cluster.url + "/docs")
    assert r.status_code == 200 and "Content-Security-Policy" in r.headers  # the app's page, with its headers


def test_the_login_limit_counts_across_both_servers(cluster):
    """Ten logins a minute from one address (the phone's, from nginx's X-Forwarded-For):
    were each server counting alone, twenty would get through."""
    before = [_count(cluster.access_log(i), "POST /api/v1/auth/login") for i in (1, 2)]
    answers = [requests.post(cluster.url + API + "/auth/login", json={"code": f"limit-{n}"}) for n in range(14)]
    assert [r.status_code for r in answers] == [200] * 10 + [429] * 4
    assert answers[-1].json()["code"] == "too_many_requests" and "Retry-After" in answers[-1].headers
    assert _served(cluster, "POST /api/v1/auth/login", before) == [7, 7]  # nginx alternated between the servers


def test_a_redemption_race_for_the_last_item_sells_it_once(cluster):
    user_id = cluster.sql("SELECT id FROM app_user WHERE role = 'resident' ORDER BY points_balance DESC LIMIT 1")[0][0]
    reward_id = cluster.sql("SELECT min(id) FROM reward")[0][0]
    cluster.execute("UPDATE reward SET stock = 1, cost = 5, per_user_limit = NULL, offered_from = NULL, offered_until = NULL, "
                    "visible = true WHERE id = :r", r=reward_id)
    headers = cluster.token(user_id)
    balance = requests.get(cluster.url + API + "/me", headers=headers).json()["points_balance"]
    assert balance >= 5
    before = [_count(cluster.access_log(i), "POST /api/v1/redemptions") for i in (1, 2)]

    def redeem():
        return requests.post(cluster.url + API + "/redemptions", json={"reward_id": reward_id},
                             headers={**headers, "Idempotency-Key": uuid.uuid4().hex})

    answers = _concurrently(redeem, redeem)
    assert sorted(r.status_code for r in answers) == [201, 409], [r.text for r in answers]
    assert next(r for r in answers if r.status_code == 409).json()["code"] == "out_of_stock"
    assert _served(cluster, "POST /api/v1/redemptions", before) == [1, 1]
    assert requests.get(cluster.url + API + "/me", headers=headers).json()["points_balance"] == balance - 5
    assert cluster.sql("SELECT stock FROM reward WHERE id = :r", r=reward_id)[0][0] == 0


def test_an_exam_submitted_twice_at_once_is_marked_once(cluster):
    headers = cluster.token(cluster.user_id("dev:demo-cadre"))
    exam = next(e for e in requests.get(cluster.url + API + "/exams", headers=headers).json() if e["status"] == "open")
    attempt = requests.post(cluster.url + API + f"/exams/{exam['id']}/attempts", headers=headers).json()
    first = attempt["questions"][0]
    r = requests.put(cluster.url + API + f"/exam-attempts/{attempt['id']}/answers/{first['id']}", json={"answer": [first["options"][0]["key"]]},
                     headers=headers)
    assert r.status_code == 200, r.text

    def submit():
        return requests.post(cluster.url + API + f"/exam-attempts/{attempt['id']}/submit",
                             headers={**headers, "Idempotency-Key": uuid.uuid4().hex})

    answers = _concurrently(submit, submit)
    assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
    assert answers[0].json()["score"] == answers[1].json()["score"]
    assert answers[0].json()["submitted_at"] == answers[1].json()["submitted_at"]
    assert cluster.sql("SELECT status, score FROM exam_attempt WHERE id = :a", a=attempt["id"])[0] == ("submitted", answers[0].json()["score"])


def test_a_check_in_code_is_accepted_whichever_server_answers(cluster):
    from activities import tokens

    now = utcnow()
    event_id, lat, lng, seconds = cluster.sql(
        "SELECT id, latitude, longitude, token_seconds FROM event WHERE checkin_opens_at <= :now AND checkin_closes_at >= :now "
        "ORDER BY id LIMIT 1", now=now)[0]
    with cluster.app.app_context():  # the projector's code, as any server would make it
        token, _ = tokens.issue(event_id, seconds, now)
    people = [cluster.new_resident() for _ in range(3)]
    for person, base in zip(people, (cluster.app_url(1), cluster.app_url(2), cluster.url)):
        r = requests.post(base + API + "/checkins", json={"token": token, "latitude": lat, "longitude": lng, "accuracy": 10},
                          headers={**cluster.token(person), "Idempotency-Key": uuid.uuid4().hex})
        assert r.status_code == 201, (base, r.text)
    assert cluster.sql("SELECT count(*) FROM checkin WHERE event_id = :e AND user_id = ANY(:p)", e=event_id, p=people)[0][0] == 3


def test_a_photo_uploaded_through_one_server_is_served_by_the_other(cluster):
    cadre_user, unit = cluster.sql("SELECT u.id, c.org_unit_id FROM app_user u JOIN cadre c ON c.user_id = u.id AND c.active "
                                   "WHERE u.openid = 'dev:demo-cadre'")[0]
    event_id = cluster.sql("SELECT min(id) FROM event")[0][0]
    cluster.execute("UPDATE event SET org_unit_id = :u WHERE id = :e", u=unit, e=event_id)
    picture = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(picture, "PNG")
    r = requests.post(cluster.app_url(1) + API + f"/events/{event_id}/photos", files={"file": ("会场.png", picture.getvalue(), "image/png")},
                      data={"caption": "集群测试"}, headers={**cluster.token(cadre_user), "Idempotency-Key": uuid.uuid4().hex})
    assert r.status_code == 201, r.text
    url = r.json()["url"]
    for base in (cluster.app_url(2), cluster.url):
        served = requests.get(base + url)
        assert served.status_code == 200 and served.content == picture.getvalue(), base
        assert served.headers["Content-Type"] == "image/png"


def test_killing_an_app_server_during_answers_loses_nothing_acknowledged(cluster):
    """SIGKILL one app server (its master and workers) while 20 residents answer through
    nginx. nginx sends GETs and new connections to the other server; a POST the dead
    server had taken fails, and the client sends it once more with the same
    Idempotency-Key: the answer is then stored, or already was (409 already_answered).
    Every acknowledged answer is in the database, none is paid twice."""
    residents = [row[0] for row in cluster.sql("SELECT id FROM app_user WHERE openid LIKE 'demo:%' ORDER BY id LIMIT 20")]
    category = cluster.sql("SELECT category_id FROM question WHERE status = 'active' GROUP BY category_id "
                           "ORDER BY count(*) DESC LIMIT 1")[0][0]
    jobs = []
    for person in residents:
        headers = cluster.token(person)
        quiz = requests.post(cluster.url + API + "/quizzes", json={"mode": "practice", "category_id": category},
                             headers={**headers, "Idempotency-Key": uuid.uuid4().hex})
        assert quiz.status_code == 201, quiz.text
        jobs += [(headers, quiz.json()["id"], q["id"], q["options"][0]["key"]) for q in quiz.json()["questions"]]
    random.Random(19).shuffle(jobs)
    done, killed = [0], threading.Event()
    lock = threading.Lock()

    def answer(job):
        headers, quiz_id, question_id, option = job
        session = requests.Session()
        url, body = cluster.url + API + f"/quizzes/{quiz_id}/answers", {"question_id": question_id, "answer": [option]}
        key = {**headers, "Idempotency-Key": uuid.uuid4().hex}
        first = _post(session, url, body, key)
        outcome = {"job": job, "first": first, "retry": None}
        if first[0] not in (200, 409):
            time.sleep(0.2)
            outcome["retry"] = _post(session, url, body, key)
        outcome["get"] = _get(session, cluster.url + API + f"/quizzes/{quiz_id}", headers)
        with lock:
            done[0] += 1
            if done[0] == len(jobs) // 4:
                killed.set()
        return outcome

    def kill_when_a_quarter_is_done():
        killed.wait(60)
        return cluster.kill_app(1)

    with ThreadPoolExecutor(9) as pool:
        killer = pool.submit(kill_when_a_quarter_is_done)
        outcomes = list(pool.map(answer, jobs))
        killed_pids = killer.result()
    try:
        assert killed_pids and requests.get(cluster.app_url(2) + API + "/healthz").status_code == 200
        assert all(o["get"] == 200 for o in outcomes), "a GET is served by the live server (nginx retries it, or the phone asks again)"
        for o in outcomes:
            final = o["retry"] or o["first"]
            assert final[0] == 200 or final == (409, "already_answered"), o
            assert o["first"][0] in (200, 503) and (o["retry"] is None or o["first"][0] == 503), o  # 503: nginx's answer for a broken connection
        pairs = {(q, question) for _, q, question, _ in jobs}
        stored = {(q, question): (answered, points) for q, question, answered, points in cluster.sql(
            "SELECT quiz_id, question_id, answered_at, points_awarded FROM quiz_item WHERE quiz_id = ANY(:q)",
            q=list({q for _, q, _, _ in jobs}))}
        assert all(stored[p][0] is not None for p in pairs), "every acknowledged answer is stored"
        paid = {key: (n, total) for key, n, total in cluster.sql(
            "SELECT idempotency_key, count(*), sum(delta) FROM points_entry WHERE idempotency_key LIKE 'quiz:%:q:%' "
            "AND user_id = ANY(:u) GROUP BY idempotency_key", u=residents)}
        for quiz_id, question_id in pairs:
            n, total = paid.get(f"quiz:{quiz_id}:q:{question_id}", (0, 0))
            assert n <= 1 and total == stored[(quiz_id, question_id)][1], (quiz_id, question_id)
    finally:
        cluster.restart_app(1)


def _get(session, url, headers) -> int:
    """A GET's status, asked once more after a broken connection, as a phone would: nginx
    retries a GET on the other server only until the dead one has begun its answer, and one
    killed in the middle of its body breaks the connection."""
    try:
        return session.get(url, headers=headers, timeout=30).status_code
    except requests.RequestException:
        return session.get(url, headers=headers, timeout=30).status_code


def _post(session, url, body, headers):
    try:
        r = session.post(url, json=body, headers=headers, timeout=30)
    except requests.ConnectionError:
        return ("connection_error", None)
    return (r.status_code, r.json().get("code") if r.status_code != 200 else None)


def test_restarting_postgresql_gives_503_then_recovers_without_restarting_the_app(cluster):
    headers = cluster.token(cluster.user_id("dev:demo-resident"))
    masters = [cluster.state["pids"][f"app{i}"] for i in (1, 2)]
    seen, stop = [], threading.Event()

    def load():
        session = requests.Session()
        while not stop.is_set():
            sent = time.monotonic()  # when asked: one asked while PostgreSQL was away may answer after its return
            r = session.get(cluster.url + API + "/me", headers=headers, timeout=30)
            seen.append((sent, r.status_code, r.json() if r.status_code != 200 else None, r.headers.get("Retry-After")))
            time.sleep(0.01)

    threads = [threading.Thread(target=load) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        time.sleep(0.5)
        cluster.pg_ctl("stop", "-m", "fast")
        time.sleep(2)  # PostgreSQL's seconds of absence
        cluster.pg_ctl("start", "-o", cluster.state["pg_options"])
        back = time.monotonic()
        time.sleep(3)
    finally:
        stop.set()
        for t in threads:
            t.join()
    failures = [s for s in seen if s[1] != 200]
    assert failures, "requests arrived while PostgreSQL was away"
    assert all(status == 503 and body == UNAVAILABLE and retry == "1" for _, status, body, retry in failures), failures[:3]
    after = [s for s in seen if s[0] > back + 1]
    late = [(round(s[0] - back, 2), *s[1:]) for s in after if s[1] != 200]
    # A worker that took no request while PostgreSQL was away meets its pool's dead connection
    # on its first request after (no pre-ping on the hot path, by choice): one 503 with
    # Retry-After 1, then its pool is renewed. So at most one a worker, and none after 2 s.
    assert after and len(late) <= APP_SERVERS * WORKERS_PER_SERVER and all(s[1] == 503 for s in late), late[:5]
    assert all(s[1] == 200 for s in seen if s[0] > back + 2), "served again within two seconds of PostgreSQL's return"
    from deploy.cluster import alive

    assert [cluster.state["pids"][f"app{i}"] for i in (1, 2)] == masters and all(alive(p) for p in masters)
