"""WSGI entry point: ``granian --interface wsgi wsgi:app`` (README, "Running in production")."""

from lms import create_app

app = create_app()
