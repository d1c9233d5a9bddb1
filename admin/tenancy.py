"""The panel's side of towns as tenants (rules in accounts.tenancy): whose town a page
shows, the town selector of district staff, and the model views' scope, applied in one
place (admin.views.SecureModelView) to every list, page, form, export and action."""
from flask import abort, request
from flask_login import current_user
from sqlalchemy import Select
from sqlalchemy.orm import Query

from accounts import residents, tenancy
from accounts.models import Cadre, OrgUnit
from core.extensions import db


def viewer_town() -> int | None:
    """The signed-in account's town; None for district staff (and outside a sign-in)."""
    return current_user.town_id if current_user.is_authenticated else None


def is_district() -> bool:
    return current_user.is_authenticated and current_user.town_id is None


def chosen_town() -> int | None:
    """The town a report shows: a town's staff always their own; district staff the one
    picked in the selector (?town=), else the whole district."""
    if not is_district():
        return viewer_town()
    value = request.args.get("town", "")
    if not value.isdigit():
        return None
    town = db.session.get(OrgUnit, int(value))
    return town.id if town is not None and town.kind == "town" else None


def picker() -> dict:
    """What a report's town selector (_town_select.html) and its notes need. `district`:
    the selector is shown, to district staff where there are several towns (a township's
    pages stay as they were)."""
    towns = tenancy.towns()
    several = len(towns) > 1
    town = chosen_town()
    return {"town_choices": towns if several else [], "town": town,
            "town_label": tenancy.town_name(town) if town is not None or several else "",
            "district": is_district() and several, "no_town_note": tenancy.NO_TOWN_NOTE if several else ""}


def unit_choices(town: int | None, unit: int | None, district: bool) -> list:
    """A page's unit picker: the town's units. District staff who picked no town pick it
    first: a district's units (575 of 20 towns, each with its 司法所) are slow to draw and
    cannot be told apart; only a unit already asked for is offered, to stay selected."""
    if town is not None or not district:
        return residents.units(town)
    asked = db.session.get(OrgUnit, unit) if unit else None
    return [asked] if asked is not None else []


def get_or_404(model, ident):
    """One row by id, when it is the viewer's town's; another town's is not found."""
    obj = db.session.get(model, ident)
    if obj is None or not tenancy.belongs(obj, viewer_town()):
        abort(404)
    return obj


def town_names() -> dict[int, str]:
    """{id: name} of the towns, read once a request (the labels of district staff's picks;
    kept in the request's environ, as `g` lives on where a test reuses the app context)."""
    names = request.environ.get("pufa.town_names")
    if names is None:
        names = request.environ["pufa.town_names"] = {t.id: t.name for t in tenancy.towns()}
    return names


def pick_label(obj) -> str:
    """A row as a pick list names it. District staff, where there are several towns, see
    a unit (and a cadre's unit) with its town: every town has its 司法所. A cadre is told
    from a namesake (a district has many 张伟) by the last four digits of their phone."""
    if isinstance(obj, Cadre):
        return f"{obj.name}（{pick_label(obj.org_unit)}，尾号{obj.phone[-4:]}）"
    if isinstance(obj, OrgUnit) and obj.kind != "town" and viewer_town() is None and len(names := town_names()) > 1:
        return f"{names.get(obj.town_id, '')}·{obj.name}"
    return str(obj)


def _scoped(factory, town_id: int | None):
    """A pick list's query_factory kept to `town_id` in SQL: the factory gives a statement
    (Flask-Admin's own give a Query), and the town's condition goes into it. A plain list
    is accepted only of rows every town shares (the question bank's laws)."""
    def choices():
        found = factory()
        if isinstance(found, (Select, Query)):
            found = tenancy.scope(found, found.column_descriptions[0]["entity"], town_id)
            return db.session.scalars(found).all() if isinstance(found, Select) else found.all()
        if any(tenancy.has_town(type(row)) for row in found[:1]):
            raise TypeError("a pick list of a town's rows must come as a statement, to be kept to the town in SQL")
        return found
    return choices


def keep_choices_in_town(form) -> None:
    """Narrow the form's pick lists to the viewer's town (accounts.tenancy's scope, in the
    statement): what is not offered cannot be chosen (the field refuses any other id).
    District staff, where there are several towns, see each unit with its town."""
    from flask_admin.contrib.sqla.fields import QuerySelectField

    town_id = viewer_town()
    for field in form:
        if isinstance(field, QuerySelectField):  # the multiple-choice field is one too
            field.query, field.query_factory = None, _scoped(field.query_factory, town_id)
            if town_id is None and len(town_names()) > 1:
                field.get_label = pick_label
