from pathlib import Path

from lms import create_app


def test_instance_dir_moves_the_whole_instance_folder(tmp_path):
    """Uploads, course media and the generated secret key follow ``INSTANCE_DIR`` (the tests' own
    folder), not the checkout's ``instance/``, which a development server may be using."""
    target = tmp_path / "inst"
    app = create_app(
        {"INSTANCE_DIR": str(target), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": True}
    )
    assert Path(app.instance_path) == target.resolve()
    assert target.is_dir()
    assert (target / "secret_key").is_file()  # generated there, not in the checkout


def test_without_instance_dir_flask_default_is_kept(tmp_path):
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}", "TESTING": True, "SECRET_KEY": "k"}
    )
    assert Path(app.instance_path) == Path(app.root_path).parent / "instance"


def test_pool_variables_are_read_once_and_all_reach_the_engine(tmp_path, monkeypatch):
    from lms.config import load_config

    monkeypatch.setenv("LMS_DB_POOL_SIZE", "7")
    monkeypatch.setenv("LMS_DB_MAX_OVERFLOW", "3")
    monkeypatch.setenv("LMS_DB_POOL_TIMEOUT", "9")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u:p@db/lms")
    options = load_config(tmp_path, {"SECRET_KEY": "k" * 40})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_size": 7, "max_overflow": 3, "pool_timeout": 9}
    monkeypatch.setenv("LMS_DB_PRE_PING", "1")  # a ``SELECT 1`` per request only when asked for
    options = load_config(tmp_path, {"SECRET_KEY": "k" * 40})["SQLALCHEMY_ENGINE_OPTIONS"]
    assert options == {"pool_pre_ping": True, "pool_size": 7, "max_overflow": 3, "pool_timeout": 9}


def test_features_come_from_the_configuration(tmp_path):
    """An app built with fewer FEATURES has only those pages, links and commands."""
    from lms.features import registry

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
            "TESTING": True,
            "SECRET_KEY": "k" * 40,
            "INSTANCE_DIR": str(tmp_path / "inst"),
            "FEATURES": ("courses",),
        }
    )
    assert registry(app).features == ["courses"]
    assert {bp.split(".")[0] for bp in app.blueprints} == {"main", "auth", "org", "mail", "courses"}
    rules = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    assert rules["/admin/outbox"] == "mail.outbox"  # the kernel's outbox page, with or without training
    assert "/training/outbox" not in rules
    assert "quizzes" not in {endpoint.split(".")[0] for _o, _l, endpoint, _v in registry(app).nav}
    assert "import-course" in app.cli.commands["lms"].commands
    assert "close-overdue-attempts" not in app.cli.commands["lms"].commands


def test_a_feature_listed_before_what_it_requires_is_refused(tmp_path):
    import pytest

    from lms.config import ConfigError

    with pytest.raises(ConfigError, match="quizzes needs courses"):
        create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}",
                "TESTING": True,
                "SECRET_KEY": "k" * 40,
                "INSTANCE_DIR": str(tmp_path / "inst"),
                "FEATURES": ("quizzes", "courses"),
            }
        )
