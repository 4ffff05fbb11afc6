"""The Slack-facing application: Bolt app, middleware, listeners and Block Kit views."""
