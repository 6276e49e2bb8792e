import pytest


@pytest.fixture(autouse=True)
def _certificate_storage(app, tmp_path):
    """PDFs go to a per-test folder; the QR/verify URL uses the test server name."""
    old = {k: app.config.get(k) for k in ("CERT_STORAGE_DIR", "PUBLIC_BASE_URL")}
    app.config["CERT_STORAGE_DIR"] = str(tmp_path / "certificates")
    app.config["PUBLIC_BASE_URL"] = None
    yield tmp_path / "certificates"
    app.config.update(old)
