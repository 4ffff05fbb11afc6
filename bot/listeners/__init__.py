"""The Bolt app: its factory, middleware and listeners. A listener parses what Slack sent,
calls a service, and acknowledges; it builds no Block Kit and runs no SQL of its own."""
