"""Columns only the `admin` role may see (binding codes, pickup codes): left out of the
list, the details, the export and the search of every other role.

Flask-Admin computes its column lists once, when the view is built; the descriptor
below keeps what it computed and gives each request the part its role may see."""
from flask import has_request_context

from admin.auth import has_role

SECRET_READERS = ("admin",)


def _column_name(item) -> str:
    # List, details and export columns are (name, label); search fields (Column, joins).
    first = item[0]
    return first if isinstance(first, str) else first.key


class _ForRole:
    def __set_name__(self, owner, name):
        self.store = "_all" + name

    def __get__(self, view, owner=None):
        if view is None:
            return self
        columns = view.__dict__.get(self.store)
        # Outside a request no one is looking: Flask-Admin is building its caches
        # (and appends to the search fields it just set).
        if columns is None or not has_request_context() or view.sees_secrets():
            return columns
        return [c for c in columns if _column_name(c) not in view.secret_columns]

    def __set__(self, view, columns):
        view.__dict__[self.store] = columns


class SecretColumns:
    """Mix into a ModelView before it; name the columns in `secret_columns`."""

    secret_columns: tuple[str, ...] = ()

    _list_columns = _ForRole()
    _details_columns = _ForRole()
    _export_columns = _ForRole()
    _search_fields = _ForRole()

    def sees_secrets(self) -> bool:
        return has_role(*SECRET_READERS)

    # No search box where every searchable column is secret (a substring search of a
    # code spells it out letter by letter).
    @property
    def _search_supported(self) -> bool:
        return bool(self._search_fields)

    @_search_supported.setter
    def _search_supported(self, value) -> None:
        pass

    def search_placeholder(self):
        names = [n for n in self.column_searchable_list or () if self.sees_secrets() or n not in self.secret_columns]
        return "，".join(str(self.column_labels.get(n, n)) for n in names) or None
