"""The catalogue of runtime parameters: name, type, bounds, default, environment variable.

Every runtime parameter the platform reads is declared here once. The YAML loader refuses keys
that are not in the catalogue, the override service validates values against it, and the
resolver (``jutsu.conf.resolver``) uses it to walk env → override → YAML → default.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from jutsu.errors import ConfigError

EXECUTION_TIMES = ("open", "15min_after_open", "15min_before_close", "5min_before_close", "close")
DATA_SOURCES = ("schwab", "yahoo", "csv", "synthetic")


@dataclass(frozen=True)
class Parameter:
    """One runtime parameter. ``kind`` is one of str, int, float, bool, Decimal."""

    name: str
    kind: type
    default: Any
    description: str
    env_var: str | None = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    overridable: bool = True

    def parse(self, raw: Any, *, source: str = "value") -> Any:
        """Convert ``raw`` (text from env/DB, or a YAML scalar) to the typed value, validated."""
        value = self._convert(raw, source)
        if self.choices is not None and value not in self.choices:
            allowed = ", ".join(str(c) for c in self.choices)
            raise ConfigError(f"{source} {raw!r} is not one of: {allowed}", key=self.name)
        if self.minimum is not None and value < self.minimum:
            raise ConfigError(f"{source} {value} is below the minimum {self.minimum}", key=self.name)
        if self.maximum is not None and value > self.maximum:
            raise ConfigError(f"{source} {value} is above the maximum {self.maximum}", key=self.name)
        return value

    def to_text(self, value: Any) -> str:
        """Serialise a typed value for storage in a text column."""
        if self.kind is bool:
            return "true" if value else "false"
        return str(value)

    def _convert(self, raw: Any, source: str) -> Any:
        if isinstance(raw, str):
            raw = raw.strip()
        try:
            if self.kind is bool:
                if isinstance(raw, bool):
                    return raw
                text = str(raw).lower()
                if text in {"1", "true", "yes", "on"}:
                    return True
                if text in {"0", "false", "no", "off"}:
                    return False
                raise ValueError
            if self.kind is int:
                if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                    raise ValueError
                return int(raw)
            if self.kind is float:
                if isinstance(raw, bool):
                    raise ValueError
                return float(raw)
            if self.kind is Decimal:
                if isinstance(raw, bool):
                    raise ValueError
                value = Decimal(str(raw))
                if not value.is_finite():
                    raise ValueError
                return value
            if raw is None or isinstance(raw, (dict, list)):
                raise ValueError
            return str(raw)
        except (ValueError, TypeError, InvalidOperation):
            raise ConfigError(f"{source} {raw!r} is not a valid {self.kind.__name__}", key=self.name) from None


def _p(*args: Any, **kwargs: Any) -> Parameter:
    return Parameter(*args, **kwargs)


PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        # application
        _p(
            "app.log_level",
            str,
            "INFO",
            "Log level of every logger",
            "LOG_LEVEL",
            choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"),
            overridable=False,
        ),
        _p(
            "app.log_format",
            str,
            "text",
            "text (time | module | LEVEL | message) or json",
            "LOG_FORMAT",
            choices=("text", "json"),
            overridable=False,
        ),
        # trading
        _p(
            "trading.execution_time",
            str,
            "15min_after_open",
            "When the daily trading job runs (New York time)",
            "EXECUTION_TIME",
            choices=EXECUTION_TIMES,
        ),
        _p(
            "trading.initial_capital",
            Decimal,
            Decimal("10000"),
            "Starting capital of a strategy (USD)",
            "INITIAL_CAPITAL",
            minimum=1,
        ),
        _p(
            "trading.commission_per_share",
            Decimal,
            Decimal("0.01"),
            "Commission per share (USD)",
            "COMMISSION_PER_SHARE",
            minimum=0,
            maximum=10,
        ),
        _p(
            "trading.slippage",
            float,
            0.001,
            "Adverse slippage as a fraction of price (0.001 = 0.1%)",
            "SLIPPAGE",
            minimum=0,
            maximum=0.1,
        ),
        _p("trading.baseline_symbol", str, "QQQ", "Buy-and-hold baseline symbol", "BASELINE_SYMBOL"),
        _p(
            "trading.slippage_warn_pct",
            float,
            0.3,
            "Warn when an order slips more than this percent",
            minimum=0,
            maximum=100,
        ),
        _p(
            "trading.slippage_max_pct",
            float,
            0.5,
            "Escalate when an order slips more than this percent",
            minimum=0,
            maximum=100,
        ),
        _p(
            "trading.slippage_abort_pct",
            float,
            1.0,
            "Abort remaining orders above this slippage percent",
            minimum=0,
            maximum=100,
        ),
        _p("trading.fill_timeout_seconds", int, 30, "How long to wait for a broker fill", minimum=1, maximum=600),
        # market data
        _p(
            "data.primary_source",
            str,
            "schwab",
            "Preferred live market-data source",
            "DATA_PRIMARY_SOURCE",
            choices=DATA_SOURCES,
        ),
        _p(
            "data.fallback_source",
            str,
            "yahoo",
            "Source used when the primary is unavailable",
            "DATA_FALLBACK_SOURCE",
            choices=DATA_SOURCES,
        ),
        _p(
            "data.max_staleness_days",
            int,
            4,
            "Calendar days after which market data counts as stale",
            minimum=1,
            maximum=30,
        ),
        # performance
        _p(
            "performance.risk_free_rate",
            float,
            0.0,
            "Annual risk-free rate for Sharpe/Sortino (fraction)",
            "RISK_FREE_RATE",
            minimum=-0.05,
            maximum=0.5,
        ),
        _p(
            "performance.snapshot_retention_days",
            int,
            365,
            "Days performance snapshots are kept",
            minimum=7,
            maximum=3650,
        ),
        _p(
            "performance.eod_recovery_days",
            int,
            7,
            "Trading days the EOD job looks back to recover",
            minimum=0,
            maximum=60,
        ),
        # security
        _p(
            "security.lockout_threshold",
            int,
            10,
            "Consecutive failed logins that lock an account",
            "LOCKOUT_THRESHOLD",
            minimum=1,
            maximum=1000,
        ),
        _p(
            "security.lockout_minutes",
            int,
            30,
            "Minutes an account stays locked",
            "LOCKOUT_MINUTES",
            minimum=1,
            maximum=10080,
        ),
        _p("security.login_rate_limit", str, "5/m", "Login/2FA/passkey attempts per client IP", "LOGIN_RATE_LIMIT"),
        # jobs
        _p(
            "jobs.heartbeat_stale_seconds",
            int,
            180,
            "Age after which a worker/beat heartbeat is stale",
            "HEARTBEAT_STALE_SECONDS",
            minimum=10,
            maximum=86400,
        ),
        _p(
            "jobs.lock_timeout_seconds",
            int,
            3600,
            "A job lock older than this is considered abandoned",
            minimum=60,
            maximum=86400,
        ),
        _p(
            "jobs.missed_run_grace_seconds",
            int,
            300,
            "Missed scheduled runs older than this are dropped",
            minimum=0,
            maximum=86400,
        ),
        # research
        _p(
            "research.claim_timeout_seconds",
            int,
            300,
            "A research trial claimed longer ago than this counts as abandoned and is run again",
            "RESEARCH_CLAIM_TIMEOUT_SECONDS",
            minimum=5,
            maximum=86400,
        ),
    )
}


def get_parameter(name: str) -> Parameter:
    """Return the catalogue entry for ``name`` or raise a ConfigError suggesting close names."""
    try:
        return PARAMETERS[name]
    except KeyError:
        import difflib

        close = difflib.get_close_matches(name, PARAMETERS, n=3)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise ConfigError(f"unknown parameter{hint}", key=name) from None


def register_parameter(parameter: Parameter) -> None:
    """Add a parameter to the catalogue (used by apps that own further runtime parameters)."""
    existing = PARAMETERS.get(parameter.name)
    if existing is not None and existing != parameter:
        raise ConfigError("parameter declared twice with different definitions", key=parameter.name)
    PARAMETERS[parameter.name] = parameter
