"""Open Badges 3.0 (1EdTech, VC Data Model 2.0) credential JSON for a certificate (pure, unsigned).

The result is an *unsigned* ``OpenBadgeCredential``: to be a verifiable credential it still needs a
proof (e.g. an ``eddsa-rdfc-2022`` DataIntegrityProof or a VC-JWT), which is out of scope here.

Required by the OB 3.0 data model and produced here:

* credential: ``@context`` (VC v2 first, then the OB 3.0.3 context), ``id`` (URI: the public
  verification URL), ``type`` (``VerifiableCredential`` + ``OpenBadgeCredential``), ``issuer``
  (Profile: ``id``, ``type`` ``["Profile"]``, ``name``), ``validFrom``, ``name``, ``credentialSubject``;
* ``credentialSubject`` (AchievementSubject): ``type`` ``["AchievementSubject"]``, ``identifier`` (a list
  of IdentityObject, since officials have no DID) and ``achievement``;
* ``achievement``: ``id``, ``type`` ``["Achievement"]``, ``name``, ``description``,
  ``criteria.narrative``.

Optional and produced when the data allows: ``validUntil`` (end of the expiry day, Vietnam time),
``achievement.achievementType = "CertificateOfCompletion"``, ``achievement.resultDescription`` and
``credentialSubject.result`` for the score (``resultType`` ``"Percent"``).

Input: the same plain dict as :func:`certificates.render.render_certificate_pdf`
(``holder_name, course_title, score_percent, issued_on, expires_on, serial, verify_url, issuer_name``
are used) plus these optional keys:

``issuer_id``            issuer Profile URI (default: scheme://host of ``verify_url``)
``issuer_url``           issuer home page
``achievement_id``       stable URI of the course/achievement (default: a ``urn:uuid`` v5 derived from
                         ``issuer_id`` + ``course_title``, stable across certificates of the course)
``course_description``   achievement description (default: a sentence built from the title)
``criteria_narrative``   how it is earned (default: a Vietnamese sentence, with ``pass_percent``)
``pass_percent``         pass mark, used in the default narrative and as ``requiredValue``
``issued_at``            timezone-aware ``datetime`` for ``validFrom`` (default: ``issued_on`` 00:00 +07:00)
``holder_id``            a URI for the holder (``credentialSubject.id``), if one exists
``identity_salt``        when given, the holder's name is published as a salted SHA-256
                         (``"sha256$<hex>"``, OB 3.0 IdentityObject) instead of plain text
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
import uuid
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from lms.time import VN_TZ

__all__ = ["OB_CONTEXT", "VC_CONTEXT", "open_badge_credential"]

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
_ACHIEVEMENT_NAMESPACE = uuid.UUID("6f1c3a52-8e0b-5d4a-9c61-2b7f0e4d9a13")


def _text(data: dict[str, Any], key: str) -> str:
    value = data[key]
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{key} must be a non-empty str")
    return unicodedata.normalize("NFC", value).strip()


def _opt_text(data: dict[str, Any], key: str) -> str | None:
    return _text(data, key) if data.get(key) is not None else None


def _date(value: object, key: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise TypeError(f"{key} must be a datetime.date, got {value!r}")
    return value


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="seconds")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ValueError(f"verify_url must be an absolute http(s) URL, got {url!r}")
    return f"{parts.scheme}://{parts.netloc}"


def _score(value: object) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise TypeError(f"score_percent must be a number, got {value!r}")
    score = Decimal(str(value))
    if not score.is_finite() or not 0 <= score <= 100:
        raise ValueError(f"score_percent must be within 0..100, got {value!r}")
    return score


def _number_text(value: Decimal) -> str:
    return f"{value.normalize():f}"  # 92.50 -> "92.5", 100 -> "100"


def open_badge_credential(data: dict[str, Any]) -> dict[str, Any]:
    """Build an (unsigned) Open Badges 3.0 ``OpenBadgeCredential`` as a JSON-ready dict."""
    verify_url = _text(data, "verify_url")
    origin = _origin(verify_url)
    holder_name = _text(data, "holder_name")
    course_title = _text(data, "course_title")
    issuer_name = _text(data, "issuer_name")
    serial = _text(data, "serial")
    issued_on = _date(data["issued_on"], "issued_on")
    expires_on = None if data.get("expires_on") is None else _date(data["expires_on"], "expires_on")

    issued_at = data.get("issued_at")
    if issued_at is None:
        issued_at = dt.datetime.combine(issued_on, dt.time(0, 0), VN_TZ)
    elif not isinstance(issued_at, dt.datetime) or issued_at.utcoffset() is None:
        raise TypeError("issued_at must be a timezone-aware datetime")

    issuer_id = _opt_text(data, "issuer_id") or origin
    issuer: dict[str, Any] = {"id": issuer_id, "type": ["Profile"], "name": issuer_name}
    if data.get("issuer_url"):
        issuer["url"] = _text(data, "issuer_url")

    achievement_id = _opt_text(data, "achievement_id") or (
        f"urn:uuid:{uuid.uuid5(_ACHIEVEMENT_NAMESPACE, issuer_id + '|' + course_title)}"
    )
    pass_percent = None if data.get("pass_percent") is None else _score(data["pass_percent"])
    narrative = _opt_text(data, "criteria_narrative") or (
        "Học viên hoàn thành đầy đủ nội dung khóa học và đạt bài đánh giá cuối khóa"
        + (f" với kết quả từ {_number_text(pass_percent)}% trở lên." if pass_percent is not None else ".")
    )
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "CertificateOfCompletion",
        "name": course_title,
        "description": _opt_text(data, "course_description")
        or f"Hoàn thành khóa học “{course_title}” do {issuer_name} tổ chức.",
        "criteria": {"narrative": narrative},
        "inLanguage": "vi",
    }

    identity = holder_name
    identifier: dict[str, Any] = {"type": "IdentityObject", "identityType": "name", "hashed": False}
    salt = data.get("identity_salt")
    if salt:
        if not isinstance(salt, str):
            raise TypeError("identity_salt must be a str")
        identifier["hashed"] = True
        identifier["salt"] = salt
        identity = "sha256$" + hashlib.sha256((holder_name + salt).encode("utf-8")).hexdigest()
    identifier["identityHash"] = identity

    subject: dict[str, Any] = {"type": ["AchievementSubject"]}
    if data.get("holder_id"):
        subject["id"] = _text(data, "holder_id")
    subject["identifier"] = [identifier]
    subject["achievement"] = achievement

    if data.get("score_percent") is not None:
        score = _score(data["score_percent"])
        description_id = achievement_id + ("-ket-qua" if "#" in achievement_id else "#ket-qua")
        result_description: dict[str, Any] = {
            "id": description_id,
            "type": ["ResultDescription"],
            "name": "Kết quả đánh giá cuối khóa (%)",
            "resultType": "Percent",
            "valueMin": "0",
            "valueMax": "100",
        }
        if pass_percent is not None:
            result_description["requiredValue"] = _number_text(pass_percent)
        achievement["resultDescription"] = [result_description]
        subject["result"] = [{"type": ["Result"], "resultDescription": description_id, "value": _number_text(score)}]

    credential: dict[str, Any] = {
        "@context": [VC_CONTEXT, OB_CONTEXT],
        "id": verify_url,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": issuer,
        "validFrom": _iso(issued_at),
    }
    if expires_on is not None:
        if expires_on < issued_on:
            raise ValueError("expires_on is before issued_on")
        credential["validUntil"] = _iso(dt.datetime.combine(expires_on, dt.time(23, 59, 59), VN_TZ))
    credential["name"] = f"Giấy chứng nhận hoàn thành khóa học: {course_title}"
    # With a hashed identity the holder's name must not leak through the description.
    credential["description"] = f"Số hiệu {serial}." if salt else f"Số hiệu {serial}, cấp cho {holder_name}."
    credential["credentialSubject"] = subject
    return credential
