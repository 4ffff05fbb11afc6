"""Persistence for debtpulse: SQLModel tables, the engine, typed queries and Alembic migrations.

Nothing here knows about Slack.
"""
