"""Matching usage rows to officials (or units), in one place.

Order, first hit wins:

1. a match made by hand before for the same key (``UsageMatch``: the folded mailbox, account, portal
   address, or "name|unit"), including "not a person" (an agency mailbox);
2. the e-mail address of an active official;
3. the account: an official's code, or the local part of their e-mail (when only one has it);
4. the full name with diacritics folded, among the active officials of the unit the row names
   (its code, its name, or a longer text containing its name such as "UBND huyện Tam Đảo"): only
   when exactly one official fits.

Rows naming only a unit (portals, per-unit document counts) match the unit by code, then by folded
name, among the units in operation at the end of the month. Anything else stays unmatched.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from adoption.imports import fold_key
from adoption.models import MatchMethod, System, UsageMatch
from lms.org.models import Official, Unit
from lms.text import fold, join_name


@dataclass(frozen=True)
class Match:
    key: str
    official_id: int | None = None
    unit_id: int | None = None
    method: MatchMethod | None = None


def row_key(system: System, values: dict) -> str:
    """What a manual match of this row is remembered under."""
    if system == System.EMAIL:
        return fold_key(values.get("mailbox"))[:300]
    if system == System.PORTAL:
        return (fold_key(values.get("portal")) or "unit:" + fold(values.get("unit")))[:300]
    for key in ("account", "email"):
        if values.get(key):
            return fold_key(values[key])[:300]
    if values.get("name"):
        return f"{fold(values['name'])}|{fold(values.get('unit'))}"[:300]
    return "unit:" + fold(values.get("unit"))[:295]


class Directory:
    """Lookups over the active officials, the units in operation and the remembered matches."""

    def __init__(self, session: Session, system: System, on: date):
        self.system = system
        self.by_email: dict[str, int] = {}
        self.by_code: dict[str, int] = {}
        local: dict[str, set[int]] = defaultdict(set)
        self._session = session
        self._by_name: dict[str, list[tuple[int, int]]] | None = None  # built when a row first needs it
        rows = session.execute(select(Official.id, Official.code, Official.email).where(Official.active.is_(True)))
        for oid, code, email in rows:
            if email:
                self.by_email[email.lower()] = oid
                local[email.split("@")[0].lower()].add(oid)
            if code:
                self.by_code[code.upper()] = oid
        self.by_local = {k: next(iter(v)) for k, v in local.items() if len(v) == 1}
        units = session.execute(
            select(Unit.id, Unit.code, Unit.name).where(
                or_(Unit.valid_from.is_(None), Unit.valid_from <= on),
                or_(Unit.valid_until.is_(None), Unit.valid_until > on),
            )
        ).all()
        self.unit_by_code = {code.upper(): uid for uid, code, _name in units}
        names: dict[str, set[int]] = defaultdict(set)
        for uid, _code, name in units:
            names[fold(name)].add(uid)
        self.unit_by_name = {k: next(iter(v)) for k, v in names.items() if len(v) == 1}
        # longest names first: "huyen tam dao" is tried before a shorter name it contains
        self._names_longest = sorted(self.unit_by_name, key=len, reverse=True)
        self.remembered = {m.key: m for m in session.scalars(select(UsageMatch).where(UsageMatch.system == system))}

    @property
    def by_name(self) -> dict[str, list[tuple[int, int]]]:
        """Folded full name -> [(official id, unit id)] of the active officials."""
        if self._by_name is None:
            self._by_name = defaultdict(list)
            for oid, family, middle, given, unit_id in self._session.execute(
                select(
                    Official.id, Official.family_name, Official.middle_name, Official.given_name, Official.unit_id
                ).where(Official.active.is_(True))
            ):
                self._by_name[fold(join_name(family, middle, given))].append((oid, unit_id))
        return self._by_name

    # -- units -------------------------------------------------------------------------------------
    def find_unit(self, text: str) -> int | None:
        if not text:
            return None
        code = text.strip().upper()
        if code in self.unit_by_code:
            return self.unit_by_code[code]
        folded = fold(text)
        if folded in self.unit_by_name:
            return self.unit_by_name[folded]
        for name in self._names_longest:
            if len(name) >= 6 and name in folded:
                return self.unit_by_name[name]
        return None

    # -- rows --------------------------------------------------------------------------------------
    def match(self, values: dict) -> Match:
        key = row_key(self.system, values)
        known = self.remembered.get(key)
        if known is not None:
            if known.official_id is None and known.unit_id is None:
                return Match(key, method=MatchMethod.NOT_PERSON)
            return Match(key, known.official_id, known.unit_id, MatchMethod.REMEMBERED)
        if self.system == System.PORTAL:
            unit_id = self.find_unit(values.get("unit", ""))
            return Match(key, unit_id=unit_id, method=MatchMethod.UNIT if unit_id else None)
        address = values.get("mailbox") or values.get("email") or ""
        if "@" in address and address.lower() in self.by_email:
            return Match(key, self.by_email[address.lower()], method=MatchMethod.EMAIL)
        account = values.get("account") or ""
        if account:
            oid = self.by_code.get(account.upper()) or self.by_email.get(account.lower())
            oid = oid or self.by_local.get(account.split("@")[0].lower())
            if oid:
                return Match(key, oid, method=MatchMethod.ACCOUNT)
        name = values.get("name") or ""
        unit_text = values.get("unit") or ""
        if name:
            unit_id = self.find_unit(unit_text)
            fits = [oid for oid, uid in self.by_name.get(fold(name), ()) if unit_id is not None and uid == unit_id]
            if len(fits) == 1:
                return Match(key, fits[0], method=MatchMethod.NAME)
            return Match(key)
        if self.system == System.DMS and unit_text and not address and not account:
            unit_id = self.find_unit(unit_text)  # a per-unit line of the document software
            return Match(key, unit_id=unit_id, method=MatchMethod.UNIT if unit_id else None)
        return Match(key)
