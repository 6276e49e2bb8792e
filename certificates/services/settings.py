"""What certificates print and where their PDFs go: the app's configuration, then the environment,
then ``DEFAULTS``: the demo province as it is today (since 1 July 2025 Vĩnh Phúc is part of the new
Phú Thọ province, and the Department of Information and Communications part of Science and
Technology); the serial prefix stays "VP", so serials already printed keep their form."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, has_app_context

from lms.storage import Store, store_for
from lms.text import clean_text

DEFAULTS: dict[str, Any] = {
    "CERT_SERIAL_PREFIX": "VP",
    "CERT_ISSUER_PARENT": "ỦY BAN NHÂN DÂN TỈNH PHÚ THỌ",
    "CERT_ISSUER_NAME": "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
    "CERT_SIGNER_TITLE": "KT. GIÁM ĐỐC\nPHÓ GIÁM ĐỐC",
    "CERT_SIGNER_NAME": "Trần Văn Minh",
    "CERT_PLACE": "Phú Thọ",
    "CERT_STORAGE_DIR": None,  # None: <instance>/certificates
    "CERT_RENDER_ON_ISSUE": True,
    "CERT_VERIFY_RATE_LIMIT": "30 per minute",
    "LMS_BASE_URL": None,
    "PUBLIC_BASE_URL": None,  # the former name of LMS_BASE_URL for certificates, still read
}


@dataclass(frozen=True)
class CertificateSettings:
    serial_prefix: str
    issuer_parent: str
    issuer_name: str
    signer_title: str
    signer_name: str
    place: str
    store: Store  # the folder CERT_STORAGE_DIR, or the bucket of LMS_STORAGE_URL (lms/storage.py)
    render_on_issue: bool
    public_base_url: str | None

    def snapshot(self) -> dict[str, str]:
        return {
            "issuer_parent": self.issuer_parent,
            "issuer_name": self.issuer_name,
            "signer_title": self.signer_title,
            "signer_name": self.signer_name,
            "place": self.place,
        }


def _config_value(config, key: str):
    if config is not None and config.get(key) not in (None, ""):
        return config[key]
    if os.environ.get(key):
        return os.environ[key]
    return DEFAULTS[key]


def get_settings(config=None) -> CertificateSettings:
    """Settings from ``config`` (default: the current app's), then the environment, then DEFAULTS."""
    instance = None
    if config is None and has_app_context():
        config = current_app.config
        instance = current_app.instance_path
    storage = _config_value(config, "CERT_STORAGE_DIR")
    if not storage:
        base = (config or {}).get("INSTANCE_DIR") or instance or "instance"
        storage = Path(base) / "certificates"
    render_on_issue = _config_value(config, "CERT_RENDER_ON_ISSUE")
    if isinstance(render_on_issue, str):
        render_on_issue = render_on_issue.strip().lower() in {"1", "true", "yes", "on"}
    return CertificateSettings(
        serial_prefix=str(_config_value(config, "CERT_SERIAL_PREFIX")).upper(),
        issuer_parent=clean_text(_config_value(config, "CERT_ISSUER_PARENT")),
        issuer_name=clean_text(_config_value(config, "CERT_ISSUER_NAME")),
        signer_title=clean_text(_config_value(config, "CERT_SIGNER_TITLE")),
        signer_name=clean_text(_config_value(config, "CERT_SIGNER_NAME")),
        place=clean_text(_config_value(config, "CERT_PLACE")),
        store=store_for(config or {}, "certificates", storage),
        render_on_issue=bool(render_on_issue),
        public_base_url=_config_value(config, "LMS_BASE_URL") or _config_value(config, "PUBLIC_BASE_URL"),
    )
