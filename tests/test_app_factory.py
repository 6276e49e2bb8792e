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
