"""``python -m bot.cli`` runs the debtpulse command line."""

from bot.cli.main import run

run()
