"""Schwab price history through ``schwab-py`` (``Client.get_price_history_every_day`` and friends).

Credentials: the app key and secret come from ``jutsu.conf.secrets.get_secret`` — Docker secrets
``schwab_api_key`` / ``schwab_app_secret``, or ``SCHWAB_API_KEY[_FILE]`` / ``SCHWAB_APP_SECRET[_FILE]``.

Token: schwab-py needs the OAuth token (``{"creation_timestamp": …, "token": {…}}``) and writes it
back whenever it refreshes the access token. By default the adapter uses the encrypted database store
that the Schwab login (``/api/schwab/auth/*``) fills (``trading.broker.connection.schwab_client``) — the
same token the live executor uses. Two explicit alternatives remain:

* ``token_read`` / ``token_write`` callables (``client_from_access_functions``), e.g. in tests;
* a token file written by schwab-py's own login tools: ``token_path``, or ``$SCHWAB_TOKEN_PATH`` when
  set (for a machine that only fetches market data; the file is not encrypted).

Schwab refresh tokens expire after 7 days; a refused or expired token surfaces as a *permanent*
``SourceUnavailable`` ("log in to Schwab again"), which makes ``fetch_with_fallback`` use Yahoo.

Schwab has no hourly candles (minute frequencies 1/5/10/15/30, daily, weekly, monthly), so ``1H``
is refused rather than silently resampled.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jutsu.conf.secrets import get_secret
from jutsu.errors import InvalidParameter
from trading.sources.base import MarketDataSource, RawBar, SourceUnavailable

logger = logging.getLogger(__name__)

NEW_YORK = ZoneInfo("America/New_York")
FETCHERS = {
    "1D": "get_price_history_every_day",
    "15m": "get_price_history_every_fifteen_minutes",
    "5m": "get_price_history_every_five_minutes",
}


def configured_token_path() -> Path | None:
    """The token file named by ``$SCHWAB_TOKEN_PATH`` (``None``: use the database store)."""
    configured = os.environ.get("SCHWAB_TOKEN_PATH", "").strip()
    return Path(configured) if configured else None


def _transport_errors() -> tuple[type[BaseException], ...]:
    import httpx
    from authlib.integrations.base_client.errors import OAuthError

    return (httpx.HTTPError, OAuthError)


class SchwabSource(MarketDataSource):
    name = "schwab"
    label = "Charles Schwab"
    remote = True

    def __init__(
        self,
        *,
        client: Any = None,
        api_key: str | None = None,
        app_secret: str | None = None,
        token_path: Path | str | None = None,
        token_read: Callable[[], dict] | None = None,
        token_write: Callable[..., None] | None = None,
    ) -> None:
        self._client = client
        self._api_key = api_key
        self._app_secret = app_secret
        self._token_path = Path(token_path) if token_path else None
        self._token_read = token_read
        self._token_write = token_write

    # ── client ─────────────────────────────────────────────────────────────────────────────────────

    def client(self) -> Any:
        """The schwab-py client, built on first use (``SourceUnavailable`` when it cannot be)."""
        if self._client is None:
            self._client = self._build_client()
        return self._client

    def _credentials(self) -> tuple[str, str]:
        api_key = self._api_key or get_secret("schwab_api_key", "SCHWAB_API_KEY")
        app_secret = self._app_secret or get_secret("schwab_app_secret", "SCHWAB_APP_SECRET")
        if not api_key or not app_secret:
            raise SourceUnavailable(
                "Schwab API credentials are not configured (set SCHWAB_API_KEY and SCHWAB_APP_SECRET, "
                "or their *_FILE / Docker secrets)",
                source=self.name,
                permanent=True,
            )
        return api_key, app_secret

    def _build_client(self) -> Any:
        from schwab import auth

        from trading.broker.connection import schwab_client
        from trading.broker.errors import BrokerNotConnected

        api_key, app_secret = self._credentials()
        path = self._token_path or configured_token_path()
        if self._token_read is None and path is None:
            try:
                return schwab_client()
            except BrokerNotConnected as exc:
                raise SourceUnavailable(str(exc), source=self.name, permanent=True)
        try:
            if self._token_read is not None:
                write = self._token_write or _discard_token
                return auth.client_from_access_functions(api_key, app_secret, self._token_read, write)
            if not path.is_file():
                raise SourceUnavailable(
                    f"no Schwab token at {path}: log in to Schwab first (or set SCHWAB_TOKEN_PATH)",
                    source=self.name,
                    permanent=True,
                )
            return auth.client_from_token_file(str(path), api_key, app_secret)
        except (ValueError, KeyError, TypeError, OSError) as exc:
            raise SourceUnavailable(f"the Schwab token cannot be used ({exc})", source=self.name, permanent=True)

    # ── fetching ───────────────────────────────────────────────────────────────────────────────────

    def fetch_bars(self, symbol: str, timeframe: str, start: date, end: date) -> list[RawBar]:
        method = FETCHERS.get(timeframe)
        if method is None:
            raise InvalidParameter(f"Schwab price history has no {timeframe} candles; use one of {', '.join(FETCHERS)}")
        client = self.client()
        start_at = datetime.combine(start, time(0), tzinfo=NEW_YORK)
        end_at = datetime.combine(end, time(23, 59, 59), tzinfo=NEW_YORK)
        try:
            response = getattr(client, method)(
                symbol, start_datetime=start_at, end_datetime=end_at, need_extended_hours_data=False
            )
        except _transport_errors() as exc:
            raise SourceUnavailable(f"Schwab price history for {symbol} failed: {exc}", source=self.name)
        payload = self._payload(response, symbol)
        candles = payload.get("candles") or []
        return [self._raw_bar(candle, symbol) for candle in candles if isinstance(candle, dict)]

    def _payload(self, response: Any, symbol: str) -> dict:
        status = response.status_code
        if status in (401, 403):
            raise SourceUnavailable(
                f"Schwab refused the request for {symbol} (HTTP {status}): the token has expired or was "
                "revoked — log in to Schwab again",
                source=self.name,
                permanent=True,
            )
        if status == 429:
            raise SourceUnavailable(f"Schwab rate limit reached fetching {symbol} (HTTP 429)", source=self.name)
        if status != 200:
            raise SourceUnavailable(
                f"Schwab price history for {symbol} answered HTTP {status}: {_error_text(response)}",
                source=self.name,
                permanent=400 <= status < 500,
            )
        try:
            payload = response.json()
        except ValueError:
            raise SourceUnavailable(f"Schwab price history for {symbol} was not JSON", source=self.name)
        if not isinstance(payload, dict):
            raise SourceUnavailable(f"Schwab price history for {symbol} has an unexpected shape", source=self.name)
        return payload

    @staticmethod
    def _raw_bar(candle: dict, symbol: str) -> RawBar:
        stamp = candle.get("datetime")
        where = f"schwab {symbol} {stamp}"
        if isinstance(stamp, int | float):
            try:
                where = f"schwab {symbol} {datetime.fromtimestamp(stamp / 1000, tz=NEW_YORK).isoformat()}"
            except (OverflowError, ValueError, OSError):
                pass  # the validator rejects the timestamp with its own message
        return RawBar(
            stamp,
            candle.get("open"),
            candle.get("high"),
            candle.get("low"),
            candle.get("close"),
            candle.get("volume"),
            where=where,
        )


def _discard_token(token: dict, *args, **kwargs) -> None:
    logger.warning("Schwab refreshed its token but no token_write was given: the new token is not persisted")


def _error_text(response: Any) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or "")[:200]
    if isinstance(body, dict):
        errors = body.get("errors") or body.get("error") or body.get("message") or body
        return str(errors)[:200]
    return str(body)[:200]
