import pytest

from competency import cache, rankings


@pytest.fixture(autouse=True)
def _no_pdf_on_issue(app, tmp_path):
    old = {k: app.config.get(k) for k in ("CERT_RENDER_ON_ISSUE", "CERT_STORAGE_DIR")}
    app.config["CERT_RENDER_ON_ISSUE"] = False
    app.config["CERT_STORAGE_DIR"] = str(tmp_path / "certificates")
    rankings.clear_cache()
    yield
    assert cache.wait_for_refreshes()  # no background recompute outlives the test (tables are cleaned)
    app.config.update(old)
    rankings.clear_cache()
