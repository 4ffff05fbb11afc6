"""Each workspace's secret per webhook sender: made, sealed, listed, removed and opened.

A secret is stored sealed, so that a reader of the database cannot use it: encrypted with a
keystream of HMAC-SHA256 blocks and authenticated with an HMAC-SHA256 tag over the version,
the row's team and source, the nonce and the ciphertext (encrypt-then-MAC; the tag is
checked in constant time before anything is decrypted). Both keys are derived with HKDF
(RFC 5869, HMAC-SHA256) from ``DEBTPULSE_ANON_SECRET``, which debtpulse already requires to
be kept out of the database. A sealed secret moved to another team or source does not open.
``key_id`` (an HMAC of a fixed label) tells whether the current key sealed a row, so a
changed ``DEBTPULSE_ANON_SECRET`` is reported as such rather than as a damaged row.

A secret is random (``secrets.token_urlsafe(32)``, 256 bits) unless the sender makes its own
(PagerDuty's signing secret, Sentry's client secret), which the operator then gives. It is
returned once, to be shown once; every change is audited (``webhook_secret.created``,
``.replaced``, ``.removed``) without it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from storage import audit
from storage import webhook_secrets as stored
from storage.models import WebhookSecret

#: The senders debtpulse receives, by their name in ``/api/hooks/<source>``.
SOURCES: tuple[str, ...] = ("github", "gitlab", "alertmanager", "pagerduty", "sentry", "sonarqube")
#: The environment variable holding each sender's secret for the posting workspace.
ENV_VARIABLES: dict[str, str] = {
    "github": "DEBTPULSE_GITHUB_SECRET",
    "gitlab": "DEBTPULSE_GITLAB_TOKEN",
    "alertmanager": "DEBTPULSE_ALERTMANAGER_TOKEN",
    "pagerduty": "DEBTPULSE_PAGERDUTY_SECRET",
    "sentry": "DEBTPULSE_SENTRY_SECRET",
    "sonarqube": "DEBTPULSE_SONAR_SECRET",
}
#: The ``Settings`` field of each sender's variable.
SETTINGS_FIELDS: dict[str, str] = {
    "github": "github_secret",
    "gitlab": "gitlab_token",
    "alertmanager": "alertmanager_token",
    "pagerduty": "pagerduty_secret",
    "sentry": "sentry_secret",
    "sonarqube": "sonar_secret",
}
#: Senders that make the secret themselves: the operator gives it to debtpulse.
SENDER_MADE = frozenset({"pagerduty", "sentry"})
#: SonarQube refuses a webhook secret under 16 characters; none here is shorter.
MIN_GIVEN = 16
MAX_GIVEN = 1000
AUDIT_SUBJECT = "webhook:{source}"

_VERSION = "v1"
_NONCE = 16
_TAG = 32
_SALT = b"debtpulse webhook secrets"


class SecretRefused(ValueError):
    """A secret given by the operator that cannot be used; the message says why (never
    repeating it)."""


class CannotOpen(Exception):
    """A stored secret that does not open: sealed with another ``DEBTPULSE_ANON_SECRET``
    (``changed_key``) or damaged."""

    def __init__(self, changed_key: bool) -> None:
        super().__init__("sealed with another key" if changed_key else "damaged")
        self.changed_key = changed_key


@dataclass(frozen=True)
class _Keys:
    encryption: bytes
    authentication: bytes
    key_id: str


def _keys(master: str) -> _Keys:
    """HKDF-SHA256 (extract, then expand to 64 bytes) of ``master``."""
    prk = hmac.new(_SALT, master.encode("utf-8", errors="surrogatepass"), hashlib.sha256).digest()
    okm, block = b"", b""
    for counter in (1, 2):
        block = hmac.new(
            prk,
            block + b"debtpulse:webhook_secret:" + _VERSION.encode() + bytes([counter]),
            hashlib.sha256,
        ).digest()
        okm += block
    key_id = hmac.new(okm[32:], b"key id", hashlib.sha256).hexdigest()[:16]
    return _Keys(okm[:32], okm[32:], key_id)


def _keystream(key: bytes, nonce: bytes, length: int) -> bytes:
    blocks = (
        hmac.new(key, nonce + n.to_bytes(4, "big"), hashlib.sha256).digest()
        for n in range((length + 31) // 32)
    )
    return b"".join(blocks)[:length]


def _tag(keys: _Keys, team_id: str, source: str, nonce: bytes, ciphertext: bytes) -> bytes:
    bound = "\x00".join((_VERSION, team_id, source)).encode() + b"\x00" + nonce + ciphertext
    return hmac.new(keys.authentication, bound, hashlib.sha256).digest()


def seal(secret: str, *, master: str, team_id: str, source: str) -> tuple[str, str]:
    """``(sealed, key_id)`` of ``secret`` for the team's ``source``."""
    keys = _keys(master)
    plain = secret.encode("utf-8")
    nonce = secrets.token_bytes(_NONCE)
    cipher = bytes(
        a ^ b for a, b in zip(plain, _keystream(keys.encryption, nonce, len(plain)), strict=True)
    )
    box = nonce + cipher + _tag(keys, team_id, source, nonce, cipher)
    return f"{_VERSION}:{base64.urlsafe_b64encode(box).decode().rstrip('=')}", keys.key_id


def open_sealed(sealed: str, key_id: str, *, master: str, team_id: str, source: str) -> str:
    """The secret in ``sealed``; :class:`CannotOpen` when it was sealed with another key or
    for another team or source, or was changed."""
    keys = _keys(master)
    if not hmac.compare_digest(key_id, keys.key_id):
        raise CannotOpen(changed_key=True)
    version, _, text = sealed.partition(":")
    try:
        box = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, TypeError):
        raise CannotOpen(changed_key=False) from None
    if version != _VERSION or len(box) < _NONCE + _TAG:
        raise CannotOpen(changed_key=False)
    nonce, cipher, tag = box[:_NONCE], box[_NONCE:-_TAG], box[-_TAG:]
    if not hmac.compare_digest(tag, _tag(keys, team_id, source, nonce, cipher)):
        raise CannotOpen(changed_key=False)
    plain = bytes(
        a ^ b for a, b in zip(cipher, _keystream(keys.encryption, nonce, len(cipher)), strict=True)
    )
    try:
        return plain.decode("utf-8")
    except UnicodeDecodeError:
        raise CannotOpen(changed_key=False) from None


@dataclass(frozen=True)
class SecretInfo:
    """What may be shown about a stored secret: never the secret."""

    team_id: str
    source: str
    created_at: datetime
    created_by: str
    opens: bool
    """Whether the current ``DEBTPULSE_ANON_SECRET`` sealed it (else it must be added again)."""


@dataclass(frozen=True)
class AddedSecret:
    """A secret just stored: ``secret`` is to be shown once (None when the operator gave
    it), then forgotten."""

    secret: str | None
    info: SecretInfo
    replaced: SecretInfo | None


def check_given(source: str, secret: str) -> str:
    """A secret the operator gives, stripped; :class:`SecretRefused` when unusable."""
    secret = secret.strip()
    if not MIN_GIVEN <= len(secret) <= MAX_GIVEN:
        raise SecretRefused(
            f"the {source} secret must be {MIN_GIVEN} to {MAX_GIVEN} characters (got {len(secret)})"
        )
    if not secret.isprintable() or any(c.isspace() for c in secret):
        raise SecretRefused(f"the {source} secret must be one word of printable characters")
    return secret


def _info(row: WebhookSecret, key_id: str | None) -> SecretInfo:
    return SecretInfo(
        team_id=row.team_id,
        source=row.source,
        created_at=row.created_at,
        created_by=row.created_by,
        opens=key_id is not None and hmac.compare_digest(row.key_id, key_id),
    )


def add(
    session: Session,
    *,
    team_id: str,
    source: str,
    master: str,
    actor: str,
    reason: str,
    now: datetime,
    given: str | None = None,
) -> AddedSecret:
    """Store a secret for the team's ``source`` (``given``, else a random one), replacing
    any other, in the caller's transaction."""
    if source not in SOURCES:
        raise ValueError(f"unknown source {source!r}")
    actor = actor[:64]
    stored.lock_team(session, team_id=team_id)
    key_id = _keys(master).key_id
    old = stored.for_source(session, team_id=team_id, source=source)
    before = _info(old, key_id) if old is not None else None
    secret = check_given(source, given) if given is not None else secrets.token_urlsafe(32)
    sealed, key_id = seal(secret, master=master, team_id=team_id, source=source)
    stored.replace(
        session,
        team_id=team_id,
        source=source,
        sealed=sealed,
        key_id=key_id,
        created_at=now,
        created_by=actor,
    )
    audit.record(
        session,
        team_id=team_id,
        actor=actor,
        action="webhook_secret.replaced" if before else "webhook_secret.created",
        subject=AUDIT_SUBJECT.format(source=source),
        before={"source": source, "created_at": before.created_at.isoformat()} if before else None,
        after={"source": source, "made_by": "operator" if given is not None else "debtpulse"},
        reason=reason,
        at=now,
    )
    info = SecretInfo(team_id, source, now, actor, opens=True)
    return AddedSecret(secret if given is None else None, info, before)


def listed(session: Session, *, master: str | None, team_id: str | None = None) -> list[SecretInfo]:
    """The stored secrets (of ``team_id`` when given) as they may be shown."""
    key_id = _keys(master).key_id if master else None
    return [_info(row, key_id) for row in stored.listed(session, team_id=team_id)]


def remove(
    session: Session, *, team_id: str, source: str, actor: str, reason: str, now: datetime
) -> bool:
    """Delete the team's secret for ``source`` (audited); whether there was one."""
    stored.lock_team(session, team_id=team_id)
    row = stored.for_source(session, team_id=team_id, source=source)
    if row is None:
        return False
    created_at = row.created_at
    stored.remove(session, team_id=team_id, source=source)
    audit.record(
        session,
        team_id=team_id,
        actor=actor[:64],
        action="webhook_secret.removed",
        subject=AUDIT_SUBJECT.format(source=source),
        before={"source": source, "created_at": created_at.isoformat()},
        reason=reason,
        at=now,
    )
    return True


def stored_secret(session: Session, *, team_id: str, source: str, master: str | None) -> str | None:
    """The team's secret for ``source`` in the clear, or None when it has none.

    :class:`CannotOpen` when it has one that does not open (no or another
    ``DEBTPULSE_ANON_SECRET``, or a damaged row).
    """
    row = stored.for_source(session, team_id=team_id, source=source)
    if row is None:
        return None
    if not master:
        raise CannotOpen(changed_key=True)
    return open_sealed(row.sealed, row.key_id, master=master, team_id=team_id, source=source)


def teams_with(session: Session, *, source: str) -> list[str]:
    """The workspaces that have a secret of their own for ``source``."""
    return stored.teams_with(session, source=source)
