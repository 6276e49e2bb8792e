"""Access rules: each idea written once, able both to answer for one object and to filter a query.

``rule.allows(user, obj)`` (or ``rule(user, obj)``: a rule is a predicate, for views and templates)
and ``rule.scope(user, query)`` (the rows of ``query`` the user may see), composed with ``|``
(as Kolibri's ``own | role | membership`` with ``readable_by_user_filter``)::

    OFFICIAL_DATA = own(...) | head_of_unit(...) | PROVINCE_WIDE      # lms/auth/permissions.py

The ideas:

* ``PROVINCE_WIDE``: IT staff and admins (``User.is_province_wide``), every object, every row;
* ``LEARNER``, ``UNIT_HEAD``: accounts linked to an official; accounts heading a unit;
* ``own(official_id, column)``: the official the object is about, themself;
* ``head_of_unit(unit_id, column)``: the head of the object's unit;
* ``Rule(check, condition)``: any other idea a package needs, with both halves.

The ``column`` of a rule is what ``scope`` compares, on the query's own tables: a query scoped by
``head_of_unit(..., Official.unit_id)`` must join ``Official``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, false, or_, true


class Rule:
    """``check(user, obj) -> bool`` for one object (or for the user alone: a role rule ignores
    ``obj``); ``condition(user) -> SQL`` for a query. Anonymous users are refused."""

    def __init__(self, check: Callable[[Any, Any], bool], condition: Callable[[Any], ColumnElement] | None = None):
        self._check = check
        self._condition = condition

    def allows(self, user, obj=None) -> bool:
        return bool(user.is_authenticated and self._check(user, obj))

    __call__ = allows

    def condition(self, user) -> ColumnElement:
        if self._condition is None:
            raise TypeError("this rule answers for objects only: it has no query condition")
        if not user.is_authenticated:
            return false()
        return self._condition(user)

    def scope(self, user, query: Select) -> Select:
        """``query`` restricted to the rows ``user`` may see (unchanged for province-wide staff)."""
        condition = self.condition(user)
        return query if condition is _TRUE else query.where(condition)

    def __or__(self, other: Rule) -> Rule:
        return AnyOf(self, other)


_TRUE = true()
_FALSE = false()


class AnyOf(Rule):
    def __init__(self, *rules: Rule):
        self.rules = [r for rule in rules for r in (rule.rules if isinstance(rule, AnyOf) else [rule])]

    def allows(self, user, obj=None) -> bool:
        return any(rule.allows(user, obj) for rule in self.rules)

    __call__ = allows

    def condition(self, user) -> ColumnElement:
        conditions = [rule.condition(user) for rule in self.rules]
        if any(c is _TRUE for c in conditions):
            return _TRUE
        conditions = [c for c in conditions if c is not _FALSE]
        return or_(*conditions) if conditions else _FALSE


PROVINCE_WIDE = Rule(
    check=lambda user, _obj: user.is_province_wide,
    condition=lambda user: _TRUE if user.is_province_wide else _FALSE,
)


def holds_province_wide_rights(account) -> bool:
    """Whether an account (the object of a rule, switched off or not) holds IT staff or admin rights:
    for rules about managing accounts; ``PROVINCE_WIDE`` asks it of the user acting."""
    return account.is_province_wide


#: Accounts linked to an official record (officials, unit heads too): they learn, take quizzes, hold
#: certificates and have results of their own.
LEARNER = Rule(lambda user, _obj: user.official_id is not None)
#: Accounts that head at least one unit.
UNIT_HEAD = Rule(lambda user, _obj: bool(user.headed_unit_ids))


def own(official_id: Callable[[Any], int | None], column=None) -> Rule:
    """The official the object is about: ``official_id(obj)`` is the user's own official."""

    def check(user, obj) -> bool:
        return obj is not None and user.official_id is not None and official_id(obj) == user.official_id

    def condition(user):
        return column == user.official_id if user.official_id is not None else _FALSE

    return Rule(check, condition if column is not None else None)


def head_of_unit(unit_id: Callable[[Any], int | None], column=None) -> Rule:
    """The head of the object's unit: ``unit_id(obj)`` is one of the units the user heads."""

    def check(user, obj) -> bool:
        return obj is not None and unit_id(obj) in user.headed_unit_ids

    def condition(user):
        heads = user.headed_unit_ids
        return column.in_(sorted(heads)) if heads else _FALSE

    return Rule(check, condition if column is not None else None)
