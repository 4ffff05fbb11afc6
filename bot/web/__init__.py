"""HTTP entry points: the WSGI app served by gunicorn (Slack events, signals, health)."""
