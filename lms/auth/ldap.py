"""Passwords checked against the province's directory (LDAP), the one that holds official e-mail.

Two steps, as directories are usually run: a service account (``LDAP_BIND_DN``) searches
``LDAP_BASE_DN`` with ``LDAP_USER_FILTER`` for the entry of what was typed in the login box, then
a second connection binds as that entry with the password typed. The address in
``LDAP_EMAIL_ATTRIBUTE`` is what the account is matched by (``lms.auth.sso``).

Always encrypted: ``ldaps://`` or ``ldap://`` with StartTLS (``LDAP_STARTTLS=1``); the server's
certificate is checked against ``LDAP_CA_FILE`` (or the system's CAs) and its name against the host
of ``LDAP_URL``, by Python's ``ssl`` module. A directory that cannot be reached, or answers slower
than ``LDAP_TIMEOUT`` seconds, raises ``DirectoryUnavailable``: the login page says so, and local
passwords, where they are allowed, still work.
"""

from __future__ import annotations

import logging
import math
import ssl
import unicodedata
import warnings
from dataclasses import dataclass
from urllib.parse import urlsplit

with warnings.catch_warnings():
    # ldap3 2.9.1 reads pyasn1 names that pyasn1 0.6.1+ reports as deprecated, once, at import
    warnings.simplefilter("ignore", DeprecationWarning)
    import ldap3
    from ldap3.core.exceptions import LDAPException
    from ldap3.utils.conv import escape_filter_chars

log = logging.getLogger(__name__)

DEFAULT_USER_FILTER = "(&(objectClass=inetOrgPerson)(|(uid={login})(mail={login})))"
# bind results that say the directory could not decide, rather than "wrong password"
_DIRECTORY_TROUBLE = {
    "busy",
    "unavailable",
    "operationsError",
    "other",
    "confidentialityRequired",
    "strongerAuthRequired",
    "timeLimitExceeded",
    "adminLimitExceeded",
    "unwillingToPerform",
}


class DirectoryUnavailable(Exception):
    """The directory could not answer: down, unreachable, too slow, a certificate or service
    account it refused. Logged with the cause; the user sees one plain sentence."""


def _truthy(value) -> bool:
    return value is True or str(value or "").strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class DirectorySettings:
    url: str
    base_dn: str
    bind_dn: str = ""
    bind_password: str = ""
    user_filter: str = DEFAULT_USER_FILTER
    email_attribute: str = "mail"
    name_attribute: str = "cn"
    starttls: bool = False
    ca_file: str = ""
    timeout: float = 5.0

    @classmethod
    def from_config(cls, cfg) -> DirectorySettings | None:
        """The settings in ``app.config`` (read from the environment by ``lms.config``), or None
        when no directory is configured."""
        if not cfg.get("LDAP_URL"):
            return None
        return cls(
            url=cfg["LDAP_URL"],
            base_dn=cfg.get("LDAP_BASE_DN", ""),
            bind_dn=cfg.get("LDAP_BIND_DN", ""),
            bind_password=cfg.get("LDAP_BIND_PASSWORD", ""),
            user_filter=cfg.get("LDAP_USER_FILTER") or DEFAULT_USER_FILTER,
            email_attribute=cfg.get("LDAP_EMAIL_ATTRIBUTE") or "mail",
            name_attribute=cfg.get("LDAP_NAME_ATTRIBUTE") or "cn",
            starttls=_truthy(cfg.get("LDAP_STARTTLS")),
            ca_file=cfg.get("LDAP_CA_FILE", ""),
            timeout=float(cfg.get("LDAP_TIMEOUT") or 5),
        )

    def problems(self) -> list[str]:
        """What makes these settings unusable (checked when the app starts)."""
        found = []
        scheme = urlsplit(self.url).scheme.lower()
        if scheme not in ("ldap", "ldaps"):
            found.append(f"LDAP_URL={self.url!r}: expected ldaps://host[:port] or ldap://host[:port] with StartTLS")
        elif scheme == "ldap" and not self.starttls:
            found.append(
                "LDAP_URL is ldap:// without LDAP_STARTTLS=1: passwords would cross the network in clear "
                "(use ldaps:// or set LDAP_STARTTLS=1)"
            )
        elif scheme == "ldaps" and self.starttls:
            found.append("LDAP_STARTTLS=1 is for ldap:// URLs; ldaps:// is encrypted from the start")
        if not self.base_dn:
            found.append("LDAP_BASE_DN is empty: where should people be searched for?")
        if "{login}" not in self.user_filter:
            found.append("LDAP_USER_FILTER must contain {login}, e.g. (|(uid={login})(mail={login}))")
        if self.bind_dn and not self.bind_password:
            found.append("LDAP_BIND_DN is set without LDAP_BIND_PASSWORD")
        return found


@dataclass(frozen=True)
class DirectoryPerson:
    dn: str
    email: str | None  # NFC, lower case; None when the entry has no address
    name: str


class _CheckedTls(ldap3.Tls):
    """ldap3's TLS with Python's own certificate and host name checks.

    ldap3 2.9.1 turns the ``SSLContext`` host name check off and calls ``ssl.match_hostname``
    instead, deprecated since Python 3.7 and gone in 3.12; here the handshake itself checks the
    chain and the name (``server_hostname``), for LDAPS and for StartTLS alike.
    """

    def __init__(self, context: ssl.SSLContext):
        super().__init__(validate=ssl.CERT_REQUIRED)
        self._context = context

    def wrap_socket(self, connection, do_handshake=False):
        connection.socket = self._context.wrap_socket(
            connection.socket,
            server_side=False,
            do_handshake_on_connect=do_handshake,
            server_hostname=connection.server.host,
        )


def _tls_context(settings: DirectorySettings) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=settings.ca_file or None)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _server(settings: DirectorySettings) -> ldap3.Server:
    parts = urlsplit(settings.url)
    secure = parts.scheme.lower() == "ldaps"
    try:
        context = _tls_context(settings)
    except (OSError, ssl.SSLError) as exc:  # an unreadable or malformed LDAP_CA_FILE
        raise DirectoryUnavailable(f"LDAP_CA_FILE {settings.ca_file!r}: {exc}") from exc
    return ldap3.Server(
        parts.hostname or "",
        port=parts.port or (636 if secure else 389),
        use_ssl=secure,
        tls=_CheckedTls(context),
        get_info=ldap3.NONE,
        connect_timeout=settings.timeout,
    )


def _connect(settings: DirectorySettings, server: ldap3.Server, user: str | None, password: str | None):
    """An open, encrypted connection bound as ``user`` (anonymous when None); returns
    (connection, bound)."""
    conn = ldap3.Connection(
        server,
        user=user,
        password=password,
        authentication=ldap3.SIMPLE if user else ldap3.ANONYMOUS,
        receive_timeout=max(1, math.ceil(settings.timeout)),  # whole seconds (ldap3 packs them as integers)
        raise_exceptions=False,
        read_only=True,
    )
    try:
        conn.open()
        if settings.starttls:
            conn.start_tls()
        return conn, conn.bind()
    except BaseException:
        _close(conn)
        raise


def _close(conn) -> None:
    """Unbind, and close the socket that ldap3 leaves open when opening or StartTLS failed (best
    effort: the error that matters is the one being raised, if any)."""
    try:
        conn.unbind()
    except (LDAPException, OSError):
        pass
    finally:
        sock = getattr(conn, "socket", None)
        if sock is not None:
            sock.close()


def _first(entry: dict, name: str) -> str | None:
    for key, values in entry.items():
        if key.lower() == name.lower():
            values = values if isinstance(values, list) else [values]
            for value in values:
                if isinstance(value, bytes):
                    value = value.decode("utf-8", "replace")
                value = unicodedata.normalize("NFC", str(value)).strip()
                if value:
                    return value
    return None


def find_person(settings: DirectorySettings, login: str) -> DirectoryPerson | None:
    """The one entry ``LDAP_USER_FILTER`` finds for ``login`` (escaped: ``*`` or ``)`` typed in the
    login box are matched literally), or None when there is none or more than one."""
    server = _server(settings)
    query = settings.user_filter.replace("{login}", escape_filter_chars(login))
    try:
        conn, bound = _connect(settings, server, settings.bind_dn or None, settings.bind_password or None)
        try:
            if not bound:
                raise DirectoryUnavailable(f"the service account was refused: {conn.result.get('description')}")
            conn.search(
                settings.base_dn,
                query,
                search_scope=ldap3.SUBTREE,
                attributes=[settings.email_attribute, settings.name_attribute],
                size_limit=2,
                time_limit=max(1, int(settings.timeout)),
            )
            entries = [e for e in conn.response or [] if e.get("type") == "searchResEntry"]
            if conn.result.get("description") not in ("success", "sizeLimitExceeded"):
                raise DirectoryUnavailable(f"search failed: {conn.result.get('description')}")
        finally:
            _close(conn)
    except LDAPException as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if len(entries) != 1:
        if len(entries) > 1:
            log.warning("LDAP_USER_FILTER finds more than one entry for %r; refusing the login", login)
        return None
    attributes = entries[0].get("attributes") or {}
    email = _first(attributes, settings.email_attribute)
    name = _first(attributes, settings.name_attribute) or ""
    return DirectoryPerson(dn=entries[0]["dn"], email=email.lower() if email else None, name=name)


def check_password(settings: DirectorySettings, login: str, password: str) -> DirectoryPerson | None:
    """The directory's entry for ``login`` if ``password`` is its password, else None (an unknown
    login and a wrong password are not told apart). Raises ``DirectoryUnavailable``."""
    login = unicodedata.normalize("NFC", login).strip()
    if not login or not password:
        # an empty password would be an "unauthenticated bind", which directories accept as success
        return None
    person = find_person(settings, login)
    if person is None:
        return None
    try:
        conn, bound = _connect(settings, _server(settings), person.dn, password)
        outcome = conn.result.get("description")
        _close(conn)
    except LDAPException as exc:
        raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if bound:
        return person
    if outcome in _DIRECTORY_TROUBLE:
        raise DirectoryUnavailable(f"the bind as the user failed: {outcome}")
    return None
