import datetime as dt
import hashlib
import json
import unicodedata
from decimal import Decimal

import pytest

from certificates.badges import OB_CONTEXT, VC_CONTEXT, open_badge_credential

URL = "https://hoctap.vinhphuc.gov.vn/xac-minh/R998-BJX2-TCVC-84JY-F3NT-V8P8-TKEH"


def sample(**overrides):
    data = {
        "holder_name": "Nguyễn Thị Thủy Hằng",
        "unit_name": "Văn phòng Ủy ban nhân dân huyện Tam Đảo",
        "course_title": "An toàn thông tin cơ bản",
        "score_percent": 92.5,
        "issued_on": dt.date(2026, 3, 5),
        "expires_on": None,
        "serial": "VP-2026-000123-M",
        "verify_url": URL,
        "issuer_parent": "Ủy ban nhân dân tỉnh Vĩnh Phúc",
        "issuer_name": "Sở Thông tin và Truyền thông tỉnh Vĩnh Phúc",
        "signer_title": "GIÁM ĐỐC",
        "signer_name": "Trần Văn Minh",
        "place": "Vĩnh Phúc",
    }
    data.update(overrides)
    return data


def is_str_list(value):
    return isinstance(value, list) and value and all(isinstance(v, str) and v for v in value)


def test_credential_has_the_required_ob3_shape():
    cred = open_badge_credential(sample())
    assert cred["@context"] == [VC_CONTEXT, OB_CONTEXT]
    assert cred["@context"][0] == "https://www.w3.org/ns/credentials/v2"
    assert cred["@context"][1] == "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
    assert cred["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert cred["id"] == URL
    assert isinstance(cred["name"], str) and "An toàn thông tin cơ bản" in cred["name"]

    issuer = cred["issuer"]
    assert issuer["id"] == "https://hoctap.vinhphuc.gov.vn"
    assert "Profile" in issuer["type"] and is_str_list(issuer["type"])
    assert issuer["name"] == "Sở Thông tin và Truyền thông tỉnh Vĩnh Phúc"

    valid_from = dt.datetime.fromisoformat(cred["validFrom"])
    assert valid_from.utcoffset() == dt.timedelta(hours=7)
    assert valid_from.date() == dt.date(2026, 3, 5)
    assert "validUntil" not in cred

    subject = cred["credentialSubject"]
    assert subject["type"] == ["AchievementSubject"]
    (identity,) = subject["identifier"]
    assert identity == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": False,
        "identityHash": "Nguyễn Thị Thủy Hằng",
    }

    achievement = subject["achievement"]
    assert isinstance(achievement["id"], str) and ":" in achievement["id"]
    assert achievement["type"] == ["Achievement"]
    assert achievement["name"] == "An toàn thông tin cơ bản"
    assert isinstance(achievement["description"], str) and achievement["description"]
    assert isinstance(achievement["criteria"]["narrative"], str) and achievement["criteria"]["narrative"]
    assert achievement["achievementType"] == "CertificateOfCompletion"


def test_credential_is_json_serialisable_and_nfc():
    nfd = unicodedata.normalize("NFD", "Nguyễn Thị Thủy Hằng")
    cred = open_badge_credential(sample(holder_name=nfd))
    text = json.dumps(cred, ensure_ascii=False)
    assert unicodedata.normalize("NFC", text) == text
    assert json.loads(text) == cred


def test_result_refers_to_a_percent_result_description():
    cred = open_badge_credential(sample(score_percent=Decimal("92.50"), pass_percent=80))
    achievement = cred["credentialSubject"]["achievement"]
    (description,) = achievement["resultDescription"]
    assert description["type"] == ["ResultDescription"]
    assert description["resultType"] == "Percent"
    assert description["requiredValue"] == "80"
    assert isinstance(description["name"], str)
    (result,) = cred["credentialSubject"]["result"]
    assert result == {"type": ["Result"], "resultDescription": description["id"], "value": "92.5"}
    assert "80%" in achievement["criteria"]["narrative"]


def test_no_score_means_no_result():
    cred = open_badge_credential(sample(score_percent=None))
    assert "result" not in cred["credentialSubject"]
    assert "resultDescription" not in cred["credentialSubject"]["achievement"]


def test_expiry_gives_valid_until_at_the_end_of_the_day():
    cred = open_badge_credential(sample(expires_on=dt.date(2028, 3, 4)))
    until = dt.datetime.fromisoformat(cred["validUntil"])
    assert until > dt.datetime.fromisoformat(cred["validFrom"])
    assert until.date() == dt.date(2028, 3, 4) and until.utcoffset() == dt.timedelta(hours=7)


def test_achievement_id_is_stable_per_course_and_overridable():
    a = open_badge_credential(sample(holder_name="Lê Văn Tám"))["credentialSubject"]["achievement"]["id"]
    b = open_badge_credential(sample())["credentialSubject"]["achievement"]["id"]
    c = open_badge_credential(sample(course_title="Khác"))["credentialSubject"]["achievement"]["id"]
    assert a == b != c and a.startswith("urn:uuid:")
    custom = open_badge_credential(sample(achievement_id="https://hoctap.vinhphuc.gov.vn/khoa-hoc/7"))
    assert custom["credentialSubject"]["achievement"]["id"] == "https://hoctap.vinhphuc.gov.vn/khoa-hoc/7"


def test_salted_identity_is_hashed_and_the_name_does_not_leak():
    cred = open_badge_credential(sample(identity_salt="s3cr3t"))
    (identity,) = cred["credentialSubject"]["identifier"]
    expected = hashlib.sha256("Nguyễn Thị Thủy Hằng".encode() + b"s3cr3t").hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityType": "name",
        "hashed": True,
        "salt": "s3cr3t",
        "identityHash": "sha256$" + expected,
    }
    assert "Nguyễn" not in json.dumps(cred, ensure_ascii=False)


def test_issued_at_sets_valid_from_precisely():
    moment = dt.datetime(2026, 3, 5, 2, 30, tzinfo=dt.UTC)
    cred = open_badge_credential(sample(issued_at=moment))
    assert dt.datetime.fromisoformat(cred["validFrom"]) == moment


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"verify_url": "/xac-minh/abc"}, ValueError),
        ({"issued_on": dt.datetime(2026, 3, 5)}, TypeError),
        ({"issued_at": dt.datetime(2026, 3, 5)}, TypeError),  # naive
        ({"expires_on": dt.date(2026, 1, 1)}, ValueError),
        ({"score_percent": 101}, ValueError),
        ({"holder_name": ""}, ValueError),
    ],
)
def test_bad_input_is_refused(overrides, error):
    with pytest.raises(error):
        open_badge_credential(sample(**overrides))
