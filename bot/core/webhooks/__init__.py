"""What the webhooks of the tools teams already run mean to debtpulse (pure).

One module per sender (``github``, ``gitlab``, ``alertmanager``, ``pagerduty``, ``sentry``,
``sonarqube``), each checking a request the way its sender signs it and turning its payload
into :class:`bot.core.webhooks.events.HookEvent` values; :mod:`bot.core.webhooks.events`
holds the shapes they share.
"""
