"""The nbops exception tree.

    NbopsError                 root: ``problem`` and ``fix`` say what went wrong and what to do
    ├── ConfigError            pipeline.yaml / env.yaml / nbops settings are malformed
    ├── DataError              input data is missing, empty, or has the wrong shape
    ├── ValidationError        data violates its schema (pandera)
    ├── LedgerError            runs, manifests and the content store
    │   ├── IntegrityError     a stored object or manifest does not match its hash
    │   ├── LockTimeout        another build holds the project lock
    │   ├── RecordError        a metric or artifact cannot be recorded (nbops.log_*)
    │   └── RemoteError        the team remote (object storage) cannot be used
    ├── RegistryError          model registry and artifacts
    ├── GateFailure            one or more quality gates failed
    └── ReproduceError         a past run cannot be re-executed

Every error renders as one sentence naming the problem, then the fix, so that
the CLI and the Ploomber hooks can show it without a traceback.
"""

from __future__ import annotations


class NbopsError(Exception):
    """Root of every error nbops raises on purpose."""

    def __init__(self, problem: str, fix: str | None = None) -> None:
        self.problem = problem
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        if self.fix:
            return f"{self.problem.rstrip('.')}. Fix: {self.fix}"
        return self.problem

    def __str__(self) -> str:
        return self.message

    def _render_traceback_(self) -> list[str]:
        """What IPython shows instead of a traceback when a notebook cell raises this.

        The one-sentence message is the whole story for an expected error, so a
        failed step's output (and ``ploomber build``'s report, which quotes it)
        ends with that sentence rather than a page of library frames.
        """
        return [f"{type(self).__name__}: {self.message}"]


class ConfigError(NbopsError):
    """A configuration file (pipeline.yaml, env.yaml) is malformed or inconsistent."""


class DataError(NbopsError):
    """Input data is missing, empty, unreadable or has the wrong columns."""


class ValidationError(DataError):
    """Data violates its declared or inferred schema."""


class LedgerError(NbopsError):
    """The run ledger or content store cannot do what was asked."""


class IntegrityError(LedgerError):
    """A stored object or manifest does not match its recorded hash or schema."""


class LockTimeout(LedgerError):
    """Another process holds the project lock."""


class RecordError(LedgerError):
    """A notebook asked to record a metric or artifact that cannot be recorded."""


class RemoteError(LedgerError):
    """The team remote is unreachable, refuses us, or holds something it should not.

    ``kind`` says which, for callers that word the consequence (a build whose
    model could not be registered): ``no-credentials`` (none were found in the
    environment), ``refused`` (the remote rejected them), ``unreachable``,
    ``missing`` (no such bucket or folder), ``no-team-key`` (this machine cannot sign
    the team's registry: docs/remote.md), or ``failed`` (anything else).
    """

    def __init__(self, problem: str, fix: str | None = None, kind: str = "failed") -> None:
        self.kind = kind
        super().__init__(problem, fix)


class RegistryError(NbopsError):
    """The model registry or a model artifact cannot be used."""


class GateFailure(NbopsError):
    """One or more quality gates failed."""


class ReproduceError(NbopsError):
    """A past run cannot be re-executed."""


__all__ = [
    "ConfigError",
    "DataError",
    "GateFailure",
    "IntegrityError",
    "LedgerError",
    "LockTimeout",
    "NbopsError",
    "RecordError",
    "RegistryError",
    "RemoteError",
    "ReproduceError",
    "ValidationError",
]
