import time

import jwt

from accounts import tokens


def test_me_and_patch_me(api, make):
    village = make.org_unit(name="东湖村")
    user = make.user(nickname="老张", points_balance=7)
    me = api.as_user(user)
    body = me.get("/me").get_json()
    assert body["nickname"] == "老张" and body["role"] == "resident" and body["points_balance"] == 7 and body["org_unit"] is None

    r = me.patch("/me", json={"nickname": "张大姐", "real_name": "张秀英", "org_unit_id": village.id})
    assert r.status_code == 200
    assert r.get_json()["org_unit"] == {"id": village.id, "name": "东湖村"}
    assert me.get("/me").get_json()["real_name"] == "张秀英"


def test_role_and_points_cannot_be_set_through_profile(api, make):
    me = api.as_user(make.user())
    for change in ({"role": "cadre"}, {"points_balance": 9999}):
        r = me.patch("/me", json=change)
        assert r.status_code == 422
        assert list(r.get_json()["details"]) == list(change)
    body = me.get("/me").get_json()
    assert body["role"] == "resident" and body["points_balance"] == 0


def test_unknown_org_unit_is_422(api, make):
    r = api.as_user(make.user()).patch("/me", json={"org_unit_id": 999999})
    assert r.status_code == 422 and "org_unit_id" in r.get_json()["details"]


def test_org_units_list(api, make):
    town = make.org_unit(name="青山镇", kind="town")
    make.org_unit(name="西岭村", kind="village", parent_id=town.id)
    units = api.as_user(make.user()).get("/org-units").get_json()
    assert {"name": "西岭村", "kind": "village", "parent_id": town.id} .items() <= next(u for u in units if u["name"] == "西岭村").items()


def test_missing_expired_and_forged_tokens_are_401(app, api, make):
    user = make.user()
    assert api.get("/me").status_code == 401
    expired = jwt.encode({"sub": str(user.id), "exp": int(time.time()) - 5}, app.config["SECRET_KEY"], "HS256")
    forged = jwt.encode({"sub": str(user.id), "exp": int(time.time()) + 600}, "someone-elses-key-that-is-long-enough-for-hs256", "HS256")
    for token in (expired, forged, "not-a-token", tokens.issue(user.id)[0] + "x"):
        r = api.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401
        assert r.get_json()["code"] == "unauthorized"
