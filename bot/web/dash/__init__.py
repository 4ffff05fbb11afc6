"""The web dashboard under ``/dash``: server-rendered pages (Jinja2 templates beside this
package, one stylesheet, no JavaScript) for the signed-in workspace, behind a one-time
sign-in link from ``/debt dashboard`` and a signed session cookie.

``bot/web/wsgi.py`` hands it every path under ``/dash`` (:func:`serve`). ``app.py`` routes and
refuses, ``pages.py`` renders each page from ``bot.services.dash_pages``, ``http.py`` reads
requests and writes responses, ``charts.py`` lays out the SVG charts, ``render.py`` is the
template environment, ``logs.py`` keeps sign-in tokens out of the access log.
"""

from bot.web.dash.app import serve
from bot.web.dash.logs import keep_tokens_out_of_access_logs

__all__ = ["keep_tokens_out_of_access_logs", "serve"]
