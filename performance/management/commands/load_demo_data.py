"""``manage.py load_demo_data``: give a fresh installation something to look at.

1. market data: synthetic bars (``generate_demo_data``) unless the database already holds QQQ bars
   (imported real data is never mixed with synthetic data);
2. a backtest of every active strategy over the whole available history (after warm-up), reused
   when the same range was already run;
3. daily performance seeded from each backtest (mode ``paper``), so the dashboard has history
   from day one.

Idempotent: running it again changes nothing unless new bars arrived.
"""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from jutsu.errors import JutsuError
from jutsu.scheduler.calendar import trading_days
from performance.models import DailyPerformance
from performance.services.backfill import daily_performance_seed_from_backtest
from strategies.engine.strategy import get_strategy_class
from strategies.models import BacktestRun, BacktestStatus, Strategy
from strategies.services.backtests import WARMUP_MARGIN, BacktestRequest, backtest_run_execute
from strategies.services.registry import strategy_effective_params
from trading.modes import Mode
from trading.selectors import market_data_coverage


class Command(BaseCommand):
    help = "Load demo data: synthetic bars (if none), a backtest per active strategy, seeded daily performance."

    def add_arguments(self, parser):
        parser.add_argument("--mode", default=Mode.PAPER, choices=Mode.values)

    def handle(self, *args, mode: str, **options):
        self._market_data()
        for strategy in Strategy.objects.filter(is_active=True).order_by("execution_order"):
            try:
                self._strategy(strategy, mode)
            except JutsuError as exc:
                self.stdout.write(self.style.WARNING(f"  {strategy.strategy_id}: skipped — {exc}"))

    def _market_data(self) -> None:
        coverage = market_data_coverage("QQQ")
        if coverage.has_data:
            self.stdout.write(
                f"  market data present (QQQ {coverage.first_date} … {coverage.last_date}, source "
                f"{coverage.last_source or 'unknown'}): no synthetic bars generated"
            )
            return
        self.stdout.write("  generating synthetic demo bars (labelled 'synthetic', not real prices)")
        call_command("generate_demo_data", stdout=self.stdout)

    def _range(self, strategy: Strategy):
        engine = get_strategy_class(strategy.strategy_class)(strategy_effective_params(strategy))
        coverages = [market_data_coverage(symbol) for symbol in engine.required_symbols]
        missing = [c.symbol for c in coverages if not c.has_data]
        if missing:
            raise JutsuError(f"no bars for {', '.join(missing)}")
        first = max(c.first_date for c in coverages)
        end = min(c.last_date for c in coverages)
        days = trading_days(first, end)
        warmup = engine.warmup_bars + WARMUP_MARGIN
        if len(days) <= warmup + 20:
            raise JutsuError(f"not enough history ({len(days)} days) for a {warmup}-bar warm-up")
        return days[warmup], end

    def _strategy(self, strategy: Strategy, mode: str) -> None:
        start, end = self._range(strategy)
        run = (
            BacktestRun.objects.filter(
                strategy_id_text=strategy.strategy_id, status=BacktestStatus.COMPLETED, start_date=start, end_date=end
            )
            .order_by("-id")
            .first()
        )
        if run is None:
            run = backtest_run_execute(BacktestRequest(strategy.strategy_id, start, end))
            self.stdout.write(f"  {strategy.strategy_id}: backtest #{run.pk} {start} … {end}")
        rows = DailyPerformance.objects.filter(entity_type="strategy", entity_id=strategy.strategy_id, mode=mode)
        last = rows.order_by("-trading_date").values_list("trading_date", flat=True).first()
        if last is not None and last >= end:
            self.stdout.write(f"  {strategy.strategy_id}: daily performance already up to {last}")
            return
        summary = daily_performance_seed_from_backtest(run_id=run.pk, mode=mode, expected_strategy=strategy.strategy_id)
        self.stdout.write(f"  {strategy.strategy_id}: daily performance seeded — {summary.line()}")
