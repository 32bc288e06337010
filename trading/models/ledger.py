"""The trading ledger: accounts, positions, orders (the idempotency record) and trades, per strategy and mode.

Every row carries ``strategy_id`` and ``mode``: a strategy trading in ``paper`` and shadowing in another mode
has two independent ledgers. Money is ``Decimal`` (18, 6); quantities are ``Decimal`` too (whole shares in
practice); timestamps are aware UTC; ``trading_date`` is the New York session date.

Writes go through ``trading.services.ledger`` only: cash, positions and trades change together, in one
transaction per fill, so ``Position.quantity`` always equals the signed sum of the strategy's trades.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q

from trading.modes import Mode

MONEY = {"max_digits": 18, "decimal_places": 6}
QUANTITY = {"max_digits": 18, "decimal_places": 6}


class Side(models.TextChoices):
    BUY = "BUY", "Buy"
    SELL = "SELL", "Sell"


class TradeReason(models.TextChoices):
    REBALANCE = "Rebalance", "Rebalance (drift from the targets)"
    SIGNAL_CHANGE = "Signal Change", "Signal change (new regime cell)"
    MANUAL = "Manual", "Manual (operator, flatten)"


class OrderStatus(models.TextChoices):
    PENDING = "pending", "Pending (recorded, outcome not known yet)"
    SUBMITTED = "submitted", "Submitted (accepted by the broker, not filled yet)"
    FILLED = "filled", "Filled"
    PARTIALLY_FILLED = "partially_filled", "Partially filled (the rest cancelled)"
    REJECTED = "rejected", "Rejected"
    CANCELLED = "cancelled", "Cancelled"
    EXPIRED = "expired", "Expired"
    UNKNOWN = "unknown", "Unknown (ask the broker before anything else)"
    DRY_RUN = "dry_run", "Dry run (intended, never sent)"


#: Statuses after which an order is never sent or looked up again.
FINAL_ORDER_STATUSES = (
    OrderStatus.FILLED,
    OrderStatus.PARTIALLY_FILLED,
    OrderStatus.REJECTED,
    OrderStatus.CANCELLED,
    OrderStatus.EXPIRED,
    OrderStatus.DRY_RUN,
)


class TradingAccount(models.Model):
    """The ledger head of one strategy in one mode: when it started, its capital and its cash.

    ``started_on`` is the day S of the equivalence rule: the decision on day D is the decision that
    ``backtest --start S --end D`` makes on D. Cash changes only through recorded fills.
    """

    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    started_on = models.DateField(help_text="First trading day (the backtest start S of the live decisions)")
    initial_capital = models.DecimalField(**MONEY)
    cash = models.DecimalField(**MONEY)
    last_trading_date = models.DateField(null=True, blank=True, help_text="Last day the trading job completed")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["strategy_id", "mode"]
        constraints = [
            models.UniqueConstraint(fields=["strategy_id", "mode"], name="tradingaccount_unique_strategy_mode"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="tradingaccount_mode_valid"),
            models.CheckConstraint(condition=Q(initial_capital__gt=0), name="tradingaccount_capital_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.mode}: cash {self.cash}"


class Position(models.Model):
    """Shares of one symbol held by a strategy in a mode. A position that is sold out keeps its row at 0.

    ``quantity`` and ``avg_cost`` change only through recorded trades; ``last_price``, ``market_value`` and
    ``unrealized_pnl`` also through marks to market. ``avg_cost`` includes the buy commissions.
    """

    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    symbol = models.CharField(max_length=10)
    quantity = models.DecimalField(**QUANTITY, default=0)
    avg_cost = models.DecimalField(**MONEY, default=0, help_text="Cost per share incl. buy commissions")
    last_price = models.DecimalField(**MONEY, null=True, blank=True)
    market_value = models.DecimalField(**MONEY, default=0)
    unrealized_pnl = models.DecimalField(**MONEY, default=0)
    last_updated = models.DateTimeField()

    class Meta:
        ordering = ["strategy_id", "mode", "symbol"]
        constraints = [
            models.UniqueConstraint(fields=["symbol", "mode", "strategy_id"], name="position_unique_symbol"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="position_mode_valid"),
            models.CheckConstraint(condition=Q(quantity__gte=0), name="position_long_only"),
        ]

    def __str__(self) -> str:
        return f"{self.strategy_id}/{self.mode} {self.symbol} {self.quantity}"


class Order(models.Model):
    """One order, recorded and committed **before** it is sent: the idempotency record.

    ``client_order_id`` is ``<strategy>:<mode>:<trading date>:<symbol>:<side>`` for the trading job's orders
    (one per symbol and side per day) and gets a suffix for manual and flatten orders
    (``…:manual:<n>``, ``…:flatten:<n>``). A run that finds the key never sends the order again; an order
    whose outcome is not known (``pending``, ``submitted``, ``unknown``) is looked up at the broker first.
    """

    client_order_id = models.CharField(max_length=120, unique=True)
    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    trading_date = models.DateField()
    symbol = models.CharField(max_length=10)
    side = models.CharField(max_length=4, choices=Side.choices)
    reason = models.CharField(max_length=20, choices=TradeReason.choices)
    requested_qty = models.DecimalField(**QUANTITY)
    filled_qty = models.DecimalField(**QUANTITY, default=0)
    ref_price = models.DecimalField(**MONEY, help_text="Reference (signal) price the order was sized at")
    avg_fill_price = models.DecimalField(**MONEY, null=True, blank=True)
    status = models.CharField(max_length=20, choices=OrderStatus.choices, default=OrderStatus.PENDING)
    broker_order_id = models.CharField(max_length=64, blank=True, default="")
    error = models.TextField(blank=True, default="")
    sequence = models.PositiveSmallIntegerField(default=0, help_text="Position in the day's plan (sells first)")
    trading_run = models.ForeignKey(
        "trading.TradingRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-trading_date", "strategy_id", "mode", "sequence", "id"]
        indexes = [models.Index(fields=["strategy_id", "mode", "trading_date"], name="order_strategy_day")]
        constraints = [
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="order_mode_valid"),
            models.CheckConstraint(condition=Q(side__in=Side.values), name="order_side_valid"),
            models.CheckConstraint(condition=Q(reason__in=TradeReason.values), name="order_reason_valid"),
            models.CheckConstraint(condition=Q(status__in=OrderStatus.values), name="order_status_valid"),
            models.CheckConstraint(condition=Q(requested_qty__gt=0), name="order_qty_positive"),
            models.CheckConstraint(
                condition=Q(filled_qty__gte=0, filled_qty__lte=F("requested_qty")), name="order_filled_within_request"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.client_order_id} {self.requested_qty} @ {self.ref_price} ({self.status})"

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_ORDER_STATUSES


class LiveTrade(models.Model):
    """One fill, with the strategy's context at the decision (append-only).

    ``realized_pnl`` (sells only) = qty × fill price − commission − qty × the position's average cost (which
    includes the buy commissions), i.e. net of both sides' commissions.
    """

    strategy_id = models.CharField(max_length=50)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    symbol = models.CharField(max_length=10)
    timestamp = models.DateTimeField(help_text="Fill instant (aware UTC)")
    trading_date = models.DateField()
    action = models.CharField(max_length=4, choices=Side.choices)
    quantity = models.DecimalField(**QUANTITY)
    target_price = models.DecimalField(**MONEY, help_text="Reference price the order was sized at")
    fill_price = models.DecimalField(**MONEY)
    fill_value = models.DecimalField(**MONEY, help_text="quantity × fill price")
    commission = models.DecimalField(**MONEY, default=0)
    slippage_pct = models.FloatField(help_text="Adverse move from the target price, percent (negative: better)")
    realized_pnl = models.DecimalField(**MONEY, null=True, blank=True)
    broker_order_id = models.CharField(max_length=64, blank=True, default="")
    strategy_cell = models.PositiveSmallIntegerField(null=True, blank=True)
    trend_state = models.CharField(max_length=20, blank=True, default="")
    vol_state = models.CharField(max_length=10, blank=True, default="")
    t_norm = models.FloatField(null=True, blank=True)
    z_score = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=20, choices=TradeReason.choices)
    order = models.ForeignKey(Order, null=True, blank=True, on_delete=models.PROTECT, related_name="trades")
    reconciled = models.BooleanField(default=False, help_text="Matched with the broker's fills")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["strategy_id", "mode", "trading_date"], name="livetrade_strategy_day"),
            models.Index(fields=["symbol", "timestamp"], name="livetrade_symbol_time"),
            models.Index(fields=["-timestamp", "-id"], name="livetrade_newest"),  # the default order, paged
        ]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="livetrade_qty_positive"),
            models.CheckConstraint(condition=Q(action__in=Side.values), name="livetrade_action_valid"),
            models.CheckConstraint(condition=Q(reason__in=TradeReason.values), name="livetrade_reason_valid"),
            models.CheckConstraint(condition=Q(mode__in=Mode.values), name="livetrade_mode_valid"),
            models.CheckConstraint(condition=Q(fill_price__gt=0), name="livetrade_price_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.trading_date} {self.strategy_id}/{self.mode} {self.action} {self.quantity} {self.symbol}"
