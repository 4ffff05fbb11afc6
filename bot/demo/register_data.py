"""The demo's debt register: a realistic ML platform's debt, as a lead would import it.

The items go through the real import path (``parse_register`` and ``import_register``, as
``debtpulse debt import`` does) as CSV in the register layout. What only the simulation
knows about them — how much each engineer group suffers, how often they cause incidents —
lives apart, in ``truth.py``.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.services.register_csv import COLUMNS


@dataclass(frozen=True)
class DebtSpec:
    key: str
    title: str
    category: str
    component: str
    owner: int | None  # the n-th simulated engineer (1-based); None: nobody owns it
    effort: str
    risk: tuple[int, int, int]  # the lead's impact, likelihood, detectability (1–5)
    problem: str
    affected_metrics: str
    remediation: str
    expected_impact: str
    success_criterion: str


REGISTER: tuple[DebtSpec, ...] = (
    DebtSpec(
        key="DEBT-1",
        title="Flaky data ingestion",
        category="operational",
        component="ingestion",
        owner=1,
        effort="M",
        risk=(4, 5, 2),
        problem="Nightly event loads fail about one night in five and are re-run by hand.",
        affected_metrics="data freshness; training data completeness",
        remediation="Idempotent loads with retries and a dead-letter queue for bad batches.",
        expected_impact="Fresh data every morning without manual re-runs.",
        success_criterion="No manual re-run for four weeks.",
    ),
    DebtSpec(
        key="DEBT-2",
        title="Hardcoded features in the recommendation prototype",
        category="experimentation",
        component="recsys",
        owner=None,
        effort="M",
        risk=(3, 3, 3),
        problem="Feature lists and thresholds are literals inside the prototype's notebooks.",
        affected_metrics="experiment turnaround time",
        remediation="Move features to the feature store and read them by name.",
        expected_impact="New recommendation experiments start in a day, not a week.",
        success_criterion="The prototype reads every feature from the feature store.",
    ),
    DebtSpec(
        key="DEBT-3",
        title="Manual model deployment",
        category="operational",
        component="serving",
        owner=2,
        effort="M",
        risk=(4, 4, 2),
        problem="Models are deployed by copying artefacts and editing a config by hand.",
        affected_metrics="deployment lead time; failed deployments",
        remediation="A deployment pipeline with a staging step and one-click rollback.",
        expected_impact="Deployments take minutes and can be rolled back safely.",
        success_criterion="All production models deployed through the pipeline.",
    ),
    DebtSpec(
        key="DEBT-4",
        title="Missing drift monitoring",
        category="operational",
        component="monitoring",
        owner=None,
        effort="M",
        risk=(5, 3, 5),
        problem="Nobody notices when input distributions shift until business metrics drop.",
        affected_metrics="model accuracy in production; time to detect degradation",
        remediation="Per-feature drift checks on serving inputs, alerting the on-call channel.",
        expected_impact="Degradation is caught within a day instead of weeks.",
        success_criterion="Drift alerts on the top five models, tested with a replayed shift.",
    ),
    DebtSpec(
        key="DEBT-5",
        title="Copy-paste training notebooks",
        category="experimentation",
        component="training",
        owner=3,
        effort="L",
        risk=(2, 4, 3),
        problem="Each new model starts from a copied notebook; fixes never reach the older copies.",
        affected_metrics="experiment reproducibility; onboarding time",
        remediation="A shared training library with a thin notebook template on top.",
        expected_impact="Bug fixes in training code reach every model.",
        success_criterion="New models start from the template; no copied notebook in use.",
    ),
    DebtSpec(
        key="DEBT-6",
        title="Brittle feature store schema",
        category="operational",
        component="feature-store",
        owner=4,
        effort="L",
        risk=(4, 3, 3),
        problem="Adding a column breaks downstream readers because the schema is not versioned.",
        affected_metrics="pipeline failures; feature lead time",
        remediation="Versioned schemas with backward-compatible evolution checks in CI.",
        expected_impact="Schema changes ship without breaking consumers.",
        success_criterion="Three schema changes in a row with no reader breaking.",
    ),
    DebtSpec(
        key="DEBT-7",
        title="Untracked experiment configs",
        category="experimentation",
        component="experiments",
        owner=None,
        effort="S",
        risk=(3, 4, 4),
        problem="Hyperparameters and data versions of past experiments are not recorded.",
        affected_metrics="reproducibility of published results",
        remediation="Log every run's config and data version to the experiment tracker.",
        expected_impact="Any reported result can be reproduced from its run id.",
        success_criterion="100% of runs in the last month have a logged config.",
    ),
    DebtSpec(
        key="DEBT-8",
        title="No schema validation on training data",
        category="experimentation",
        component="training-data",
        owner=1,
        effort="S",
        risk=(4, 3, 4),
        problem="Malformed rows reach training silently and skew models.",
        affected_metrics="silent training failures; model quality",
        remediation="Validate training data against an expectation suite before each run.",
        expected_impact="Bad data stops a training run instead of shipping a worse model.",
        success_criterion="Every training pipeline validates; a seeded bad batch is caught.",
    ),
    DebtSpec(
        key="DEBT-9",
        title="GPU job retries by hand",
        category="operational",
        component="compute",
        owner=5,
        effort="S",
        risk=(2, 5, 1),
        problem="Preempted GPU jobs are restarted manually, often the next morning.",
        affected_metrics="GPU utilisation; experiment wall-clock time",
        remediation="Checkpointing and automatic resubmission of preempted jobs.",
        expected_impact="Preemptions cost minutes, not a night.",
        success_criterion="No manual GPU job restart for two weeks.",
    ),
    DebtSpec(
        key="DEBT-10",
        title="Stale offline/online feature parity",
        category="operational",
        component="feature-store",
        owner=None,
        effort="L",
        risk=(5, 2, 5),
        problem="Offline training and online serving features are computed by separate code.",
        affected_metrics="training/serving skew; online accuracy",
        remediation="One feature definition compiled for both paths, with a nightly parity check.",
        expected_impact="Models behave online as they did offline.",
        success_criterion="Parity check under 0.5% mismatch on all shared features.",
    ),
    DebtSpec(
        key="DEBT-11",
        title="Unpinned dependencies in training images",
        category="operational",
        component="build",
        owner=2,
        effort="S",
        risk=(3, 3, 2),
        problem="Training images install the latest libraries, so rebuilds change results.",
        affected_metrics="build reproducibility",
        remediation="Lock files and image digests pinned in the training jobs.",
        expected_impact="Rebuilding an image gives the same environment.",
        success_criterion="Every training image built from a lock file.",
    ),
    DebtSpec(
        key="DEBT-12",
        title="Evaluation metrics computed differently per team",
        category="experimentation",
        component="evaluation",
        owner=None,
        effort="M",
        risk=(3, 3, 4),
        problem="Each team has its own metric code, so results are not comparable.",
        affected_metrics="decision quality in model reviews",
        remediation="One evaluation package with reference metrics and tests.",
        expected_impact="Model reviews compare like with like.",
        success_criterion="All model reviews in a quarter use the shared package.",
    ),
    DebtSpec(
        key="DEBT-13",
        title="No rollback for feature pipeline backfills",
        category="operational",
        component="pipelines",
        owner=4,
        effort="M",
        risk=(4, 2, 3),
        problem="A bad backfill overwrites features; only a full recompute fixes it.",
        affected_metrics="recovery time after bad backfills",
        remediation="Write backfills to a new partition and switch over atomically.",
        expected_impact="A bad backfill is undone in minutes.",
        success_criterion="A rehearsed rollback of a backfill under ten minutes.",
    ),
    DebtSpec(
        key="DEBT-14",
        title="Ad-hoc A/B test analysis scripts",
        category="experimentation",
        component="experiments",
        owner=3,
        effort="M",
        risk=(2, 3, 3),
        problem="A/B results are analysed with one-off scripts that nobody reviews.",
        affected_metrics="trust in experiment results",
        remediation="A reviewed analysis template with guardrail metrics.",
        expected_impact="Launch decisions rest on consistent, reviewed analyses.",
        success_criterion="The last ten A/B tests analysed with the template.",
    ),
    DebtSpec(
        key="DEBT-15",
        title="Slow CI for the model repository",
        category="operational",
        component="ci",
        owner=None,
        effort="S",
        risk=(1, 5, 1),
        problem="The model repository's CI takes 50 minutes: every test trains a model.",
        affected_metrics="developer wait time",
        remediation="Cache fixtures and split slow training tests into a nightly job.",
        expected_impact="Pull requests get feedback in under ten minutes.",
        success_criterion="CI median under ten minutes for a month.",
    ),
)


def register_csv(specs: Sequence[DebtSpec], owners: Mapping[int, str]) -> str:
    """The register as CSV in the import layout; ``owners`` maps an owner index to a user id."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for spec in specs:
        impact, likelihood, detectability = spec.risk
        writer.writerow(
            {
                "key": spec.key,
                "title": spec.title,
                "category": spec.category,
                "component": spec.component,
                "owner": owners.get(spec.owner, "") if spec.owner else "",
                "status": "open",
                "effort": spec.effort,
                "impact": impact,
                "likelihood": likelihood,
                "detectability": detectability,
                "description": "",
                "problem": spec.problem,
                "affected_metrics": spec.affected_metrics,
                "remediation": spec.remediation,
                "expected_impact": spec.expected_impact,
                "success_criterion": spec.success_criterion,
            }
        )
    return out.getvalue()
