"""The one process context: settings, the database, score settings, templates, the team and
the clock, for the CLI and the server alike.

The server builds it once per process (per gunicorn worker, after the fork) with
``build_runtime``, which loads every part at start so a bad configuration fails there, and
hands it to the Bolt middleware and the web routes. A CLI command builds its own, whose
parts are each read, connected or loaded the first time the command uses them, so a command
pays for no more than it needs. Every operation opens its own transaction from it, and reads
"now" from ``clock``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from bot.config import ConfigError
from bot.teams import TeamError, resolve_team
from storage.clock import utcnow
from storage.urls import plain_sqlite_file

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlmodel import Session

    from bot.config import Settings
    from bot.core.routing import Rule
    from bot.core.score_settings import ScoreSettings
    from bot.core.weights_file import Capacity, LoadedWeights, RoiSettings
    from storage.reader import Reader
    from surveys import LoadedTemplate
    from surveys.metrics_file import MetricCatalog


def _load_settings() -> Settings:
    from bot.config import load_settings

    return load_settings()


def _make_engine(url: str) -> Engine:
    from storage.db import make_engine  # SQLAlchemy loads only when a command needs it

    return make_engine(url)


class Runtime:
    """What a process shares; a part not given is computed when first read, then kept.

    ``team_option`` is the CLI's ``--team``: when ``default_team`` is not given it is
    resolved from that option, the bot token or the installations, on first use.
    ``read_settings`` and ``connect`` read the environment and open an engine for a URL.
    """

    def __deepcopy__(self, memo: dict[int, object]) -> Runtime:
        """A runtime is shared, never copied: Bolt copies a request's context for the work
        a listener does after its acknowledgement, and that work uses this same runtime."""
        return self

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        engine: Engine | None = None,
        default_team: str | None = None,
        team_option: str | None = None,
        clock: Callable[[], datetime] = utcnow,
        read_settings: Callable[[], Settings] = _load_settings,
        connect: Callable[[str], Engine] = _make_engine,
    ) -> None:
        self.clock = clock
        self.team_option = team_option
        self._read_settings = read_settings
        self._connect = connect
        self._engine_given = engine is not None
        if settings is not None:
            self.settings = settings
        if engine is not None:
            self.raw_engine = engine
        if default_team is not None:
            self.default_team = default_team

    @cached_property
    def settings(self) -> Settings:
        return self._read_settings()

    @cached_property
    def raw_engine(self) -> Engine:
        """The engine without the schema check (for ``db upgrade`` itself)."""
        return self._connect(self.settings.database_url)

    @cached_property
    def engine(self) -> Engine:
        """The engine of a database at the newest schema. A SQLite file that does not exist
        is refused before connecting, which would leave an empty file behind (a typo'd path),
        unless the engine was given."""
        from storage.db import check_schema, sqlite_file
        from storage.revision import SCHEMA_HEAD, SchemaOutOfDate

        if not self._engine_given:
            path = sqlite_file(self.settings.database_url)
            if path is not None and not path.exists():
                raise SchemaOutOfDate(None, SCHEMA_HEAD)
        check_schema(self.raw_engine)
        return self.raw_engine

    @cached_property
    def default_team(self) -> str:
        """The team this process works on: ``--team``, else as ``resolve_team`` finds it."""
        try:  # the engine opens only if the team must be read from the database
            return resolve_team(self.settings, lambda: self.raw_engine, self.team_option)
        except ConfigError as exc:  # data commands can do without Slack: say how
            raise ConfigError(
                exc.variable, f"{exc.expected}; pass --team to skip the check"
            ) from None

    @cached_property
    def weights(self) -> LoadedWeights:
        """Score settings, capacity and the ROI's hourly cost: defaults or ``weights.yaml``
        in the surveys folder."""
        from bot.core.weights_file import load_weights

        return load_weights(self.settings.surveys_dir, min_group=self.settings.min_group)

    @cached_property
    def score_settings(self) -> ScoreSettings:
        return self.weights[0]

    @cached_property
    def capacity(self) -> Capacity:
        """The sprint's debt budget of ``weights.yaml``; its share is ``debt_budget`` when the
        settings give one (DEBTPULSE_DEBT_BUDGET, or the team's own)."""
        capacity = self.weights[1]
        share = self.settings.debt_budget
        if share is not None and share != capacity.debt_share:
            capacity = capacity.model_copy(update={"debt_share": share})
        return capacity

    @cached_property
    def roi(self) -> RoiSettings:
        """What an hour lost costs (``roi:`` in ``weights.yaml``); None values when unset."""
        return self.weights.roi

    @cached_property
    def catalog(self) -> dict[str, LoadedTemplate]:
        from bot.core.catalog import load_catalog

        return load_catalog(self.settings.surveys_dir)

    @cached_property
    def metrics(self) -> MetricCatalog:
        """The metrics a team may post and read: built in, derived from signals, and those
        declared in ``metrics.yaml`` beside the templates."""
        from surveys.metrics_file import load_metrics

        return load_metrics(self.settings.surveys_dir)

    @cached_property
    def routes(self) -> tuple[Rule, ...]:
        """The routing rules of webhook signals, in the order of ``routes.yaml`` beside the
        templates (none without that file); each rule's ``where`` is its ``file:line``."""
        from bot.core.routing import Rule
        from surveys.routes_file import ROUTES_FILE, load_routes

        return tuple(
            Rule(route.match, route.to, f"{ROUTES_FILE}:{route.line}")
            for route in load_routes(self.settings.surveys_dir)
        )

    def load(self, *, read_only: bool = False) -> Runtime:
        """Every part now, in this order: the database (schema checked), the team, the
        weights, the templates, the declared metrics and the routes. ``read_only``: for a
        command that only reads, the database is checked as :meth:`reading` opens it (no
        engine where it needs none)."""
        if read_only:
            with self.reading():
                pass
        else:
            _ = self.engine
        _ = self.default_team, self.weights, self.catalog, self.metrics, self.routes
        return self

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One transaction per operation (commit on success, roll back on error)."""
        from storage.db import session_scope

        with session_scope(self.engine, write=write) as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Reader]:
        """One read-only transaction, as a reader of plain SQL (``storage/reader.py``).

        A process that has opened no engine (a CLI command) and reads a plain SQLite file
        reads it with the standard library's ``sqlite3``, schema checked: SQLAlchemy and the
        table models never load for it. Otherwise it is a read transaction of the engine.
        """
        from storage.reader import open_sqlite, reader_of

        path = None if self._engine_opened else plain_sqlite_file(self.settings.database_url)
        if path is not None:
            with open_sqlite(path) as reader:
                yield reader
            return
        with self.transaction(write=False) as session:
            yield reader_of(session)

    @property
    def _engine_opened(self) -> bool:
        return self._engine_given or "raw_engine" in self.__dict__

    def posting_team(self) -> str:
        """The workspace that polls and digests belong to.

        ``default_team`` as resolved at start; when that failed (Slack could not be reached
        for ``auth.test``, say), it is asked again here, so a run is never opened or a digest
        snapshotted under no team. Raises LookupError with what to do when it still fails.
        """
        if not self.default_team:
            try:
                team = resolve_team(self.settings, self.engine, None)
            except TeamError as exc:
                raise LookupError(
                    f"cannot tell which workspace to post for: {exc.reason}"
                ) from None
            self.default_team = team
        return self.default_team

    def for_team(self, team: str, *, settings: Settings | None = None) -> Runtime:
        """A view of this runtime for one workspace: the same engine, templates, metrics,
        routes and clock, with ``team`` as its team and ``settings`` (that team's effective
        settings: ``bot.services.workspaces.team_runtime`` builds them) in place of the
        process's. The score settings follow the team's minimum group. A process that has
        not opened its engine (a CLI command reading a SQLite file) leaves the view to open
        its own, when it needs one."""
        view = Runtime(
            settings if settings is not None else self.settings,
            engine=self.engine if self._engine_opened else None,
            default_team=team,
            clock=self.clock,
            read_settings=self._read_settings,
            connect=self._connect,
        )
        for shared in ("catalog", "metrics", "routes", "roi"):
            if shared in self.__dict__:
                view.__dict__[shared] = self.__dict__[shared]
        if "weights" in self.__dict__:
            weights = self.weights
            if view.settings.min_group != weights.settings.min_group:
                weights = weights._replace(
                    settings=weights.settings.model_copy(
                        update={"min_group": view.settings.min_group}
                    )
                )
            view.__dict__["weights"] = weights
        view.__dict__["process"] = self.process
        return view

    @cached_property
    def process(self) -> Runtime:
        """The process's own runtime, whose settings are the environment's: this one, or the
        one a team's view (:meth:`for_team`) was made from."""
        return self

    def require_anon_secret(self) -> None:
        """Anonymous surveys hash respondents with DEBTPULSE_ANON_SECRET: refuse to run
        without it."""
        if self.anon_secret:
            return
        anonymous = sorted(
            template_id
            for template_id, loaded in self.catalog.items()
            if loaded.survey is not None and loaded.survey.anonymous
        )
        if anonymous:
            raise ConfigError(
                "DEBTPULSE_ANON_SECRET",
                f"required because survey {anonymous[0]} is anonymous, but not set",
            )

    @property
    def anon_secret(self) -> str | None:
        secret = self.settings.anon_secret
        return secret.get_secret_value() if secret is not None else None


def build_runtime(
    settings: Settings,
    *,
    engine: Engine | None = None,
    default_team: str,
    clock: Callable[[], datetime] = utcnow,
) -> Runtime:
    """Open the database (refusing a stale schema) and load weights and templates now."""
    engine = engine or _make_engine(settings.database_url)
    return Runtime(settings, engine=engine, default_team=default_team, clock=clock).load()
