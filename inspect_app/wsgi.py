"""The WSGI entry point for gunicorn: inspect_app.wsgi:app."""
from . import create_app

app = create_app()
