"""GET /rewards tells each person how many more of a reward they may take now, so the
phone greys out a reward before the tap instead of answering limit_reached after it."""
from sqlalchemy import select

from core.extensions import db
from points.models import Redemption


def _listed(me) -> dict[int, dict]:
    return {r["id"]: r for r in me.get("/rewards").json["items"]}


def _redeem(me, reward) -> dict:
    r = me.post("/redemptions", json={"reward_id": reward.id})
    assert r.status_code == 201, r.json
    return r.json


def test_my_remaining_counts_down_to_zero_and_then_the_reward_is_not_available(api, make):
    user = make.rich_user(1000)
    me = api.as_user(user)
    unlimited = make.reward(cost=10, stock=10)
    twice = make.reward(cost=10, stock=10, per_user_limit=2, limit_period="all")
    db.session.commit()

    listed = _listed(me)
    assert (listed[unlimited.id]["per_user_limit"], listed[unlimited.id]["my_remaining"]) == (None, None)
    assert (listed[twice.id]["per_user_limit"], listed[twice.id]["my_remaining"], listed[twice.id]["available"]) == (2, 2, True)

    first = _redeem(me, twice)
    assert (_listed(me)[twice.id]["my_remaining"], _listed(me)[twice.id]["available"]) == (1, True)
    _redeem(me, twice)
    listed = _listed(me)
    assert (listed[twice.id]["my_remaining"], listed[twice.id]["available"]) == (0, False)
    assert listed[twice.id]["stock"] == 8  # stock is left; it is this person who may take no more
    # What the list says is what a redemption would meet.
    assert me.post("/redemptions", json={"reward_id": twice.id}).json["code"] == "limit_reached"

    # A cancelled redemption gives its place back, as it does for redeeming.
    me.post(f"/redemptions/{first['id']}/cancel")
    assert (_listed(me)[twice.id]["my_remaining"], _listed(me)[twice.id]["available"]) == (1, True)
    assert (_listed(me)[unlimited.id]["my_remaining"], _listed(me)[unlimited.id]["available"]) == (None, True)


def test_a_monthly_limit_counts_this_month_only_and_each_person_their_own(api, make):
    me = api.as_user(make.rich_user(1000))
    other = api.as_user(make.rich_user(1000))
    monthly = make.reward(cost=10, stock=10, per_user_limit=1, limit_period="month")
    db.session.commit()

    _redeem(me, monthly)
    assert (_listed(me)[monthly.id]["my_remaining"], _listed(me)[monthly.id]["available"]) == (0, False)
    assert (_listed(other)[monthly.id]["my_remaining"], _listed(other)[monthly.id]["available"]) == (1, True)

    for red in db.session.scalars(select(Redemption).where(Redemption.reward_id == monthly.id)):
        red.month = "2000-01"
    db.session.commit()
    assert (_listed(me)[monthly.id]["my_remaining"], _listed(me)[monthly.id]["available"]) == (1, True)


def test_the_openapi_document_describes_my_remaining(client):
    props = client.get("/openapi.json").json["components"]["schemas"]["RewardOut"]["properties"]
    # A nullable integer, as per_user_limit is (in whichever form the OpenAPI version writes it).
    without_text = {k: v for k, v in props["my_remaining"].items() if k != "description"}
    assert without_text == {k: v for k, v in props["per_user_limit"].items() if k != "description"}
    assert "integer" in str(without_text["type"]) and "null" in str(without_text)
