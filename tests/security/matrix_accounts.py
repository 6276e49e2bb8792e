"""Authorization matrix entries of the accounts pages (lms/auth/account_views.py)."""

from __future__ import annotations

PUBLIC = "public"
MANAGERS = {"unit_head", "it_staff", "admin"}

EXPECTED: dict[str, object] = {
    "auth.forgot_password": PUBLIC,
    "auth.token_password": PUBLIC,  # the one-time token is the credential; unknown, used or expired -> 404
    "auth.activate_code": PUBLIC,  # code + year of birth, throttled like logins
    "auth.activate_password": PUBLIC,  # only after a code + year of birth in this browser's session
    "auth.accounts_page": MANAGERS,  # object rule: a unit head sees the units they head (403 elsewhere)
    "auth.accounts_action": MANAGERS,  # object rule: the unit, then each account (can_manage_account)
}


def values(session, users) -> dict:
    return {"token": "not-a-real-token"}
