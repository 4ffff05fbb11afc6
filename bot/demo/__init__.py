"""``debtpulse demo``: the whole loop offline — polls, answers, signals, ranking, digest.

A simulated ML platform team (``truth``) with a realistic debt register (``register_data``)
lives through a few weeks on a simulated clock (``clock``, ``week``), talking to the real
app over HTTP (``stack``) through the local fake Slack (``bot.sandbox``): engineers answer
polls (``people``), incidents arrive (``incidents``), the lead uses ``/debt`` (``slash``),
and the real jobs post the weekly digest (``digest``). ``run.run_demo`` puts it together;
``command`` is the typer command. Nothing is imported here, so the command line stays
light until the demo actually runs.
"""
