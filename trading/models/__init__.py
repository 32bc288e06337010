"""Models of the trading app, one module per sub-domain (imported here so ``trading.models.X`` works).

* :mod:`.market_data` — bars, coverage and the market-data audit log;
* :mod:`.ledger` — trading accounts, positions, orders (the idempotency record) and trades;
* :mod:`.runs` — the engine switch, trading-job runs with per-strategy results, regime state;
* :mod:`.broker` — the broker's OAuth token (encrypted), pending authorisations, reconciliation reports.
"""

from trading.models.broker import (
    EXPIRY_TIER_LIMITS,
    EXPIRY_TIER_ORDER,
    REFRESH_TOKEN_LIFETIME,
    Broker,
    BrokerAuthRequest,
    BrokerToken,
    ExpiryTier,
    ReconciliationKind,
    ReconciliationReport,
    ReconciliationStatus,
)
from trading.models.ledger import (
    FINAL_ORDER_STATUSES,
    LiveTrade,
    Order,
    OrderStatus,
    Position,
    Side,
    TradeReason,
    TradingAccount,
)
from trading.models.market_data import (
    AuditOperation,
    AuditOutcome,
    DataAuditLog,
    DataMetadata,
    DataSource,
    MarketData,
    Timeframe,
)
from trading.models.runs import (
    EngineState,
    EngineStatus,
    Grade,
    RegimeState,
    RunStatus,
    StrategyRunResult,
    StrategyRunStatus,
    TradingRun,
)

__all__ = [
    "EXPIRY_TIER_LIMITS",
    "EXPIRY_TIER_ORDER",
    "FINAL_ORDER_STATUSES",
    "REFRESH_TOKEN_LIFETIME",
    "AuditOperation",
    "AuditOutcome",
    "Broker",
    "BrokerAuthRequest",
    "BrokerToken",
    "DataAuditLog",
    "DataMetadata",
    "DataSource",
    "EngineState",
    "EngineStatus",
    "ExpiryTier",
    "Grade",
    "LiveTrade",
    "MarketData",
    "Order",
    "OrderStatus",
    "Position",
    "ReconciliationKind",
    "ReconciliationReport",
    "ReconciliationStatus",
    "RegimeState",
    "RunStatus",
    "Side",
    "StrategyRunResult",
    "StrategyRunStatus",
    "Timeframe",
    "TradeReason",
    "TradingAccount",
    "TradingRun",
]
