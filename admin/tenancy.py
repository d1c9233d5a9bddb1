"""The panel's side of towns as tenants (rules in accounts.tenancy): whose town a page
shows, the town selector of district staff, and the model views' scope, applied in one
place (admin.views.SecureModelView) to every list, page, form, export and action."""
from flask import abort, request
from flask_login import current_user

from accounts import tenancy
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


def get_or_404(model, ident):
    """One row by id, when it is the viewer's town's; another town's is not found."""
    obj = db.session.get(model, ident)
    if obj is None or not tenancy.belongs(obj, viewer_town()):
        abort(404)
    return obj


def in_town(obj, town_id: int) -> bool:
    """A unit or a cadre of `town_id`, for the pick lists of the panel's forms."""
    if isinstance(obj, OrgUnit):
        return obj.town_id == town_id
    if isinstance(obj, Cadre):
        return obj.org_unit is not None and obj.org_unit.town_id == town_id
    return True


def _with_town(obj, names: dict[int, str]) -> str:
    """A unit or a cadre as district staff pick it: every town has its 司法所."""
    if isinstance(obj, OrgUnit) and obj.kind != "town":
        return f"{names.get(obj.town_id, '')}·{obj.name}"
    if isinstance(obj, Cadre) and obj.org_unit is not None:
        return f"{obj.name}（{names.get(obj.org_unit.town_id, '')}·{obj.org_unit.name}）"
    return str(obj)


def keep_choices_in_town(form) -> None:
    """Narrow the form's pick lists of units and cadres to the viewer's town: what is not
    offered cannot be chosen (the field refuses any other id). District staff, where
    there are several towns, see each unit with its town."""
    from flask_admin.contrib.sqla.fields import QuerySelectField

    town_id = viewer_town()
    if town_id is None:
        names = {t.id: t.name for t in tenancy.towns()}
        if len(names) > 1:
            for field in form:
                if isinstance(field, QuerySelectField):
                    field.get_label = lambda obj, names=names: _with_town(obj, names)
        return
    for field in form:
        if isinstance(field, QuerySelectField):  # the multiple-choice field is one too
            everything = field.query_factory
            field.query, field.query_factory = None, (lambda f=everything: [o for o in f() if in_town(o, town_id)])
