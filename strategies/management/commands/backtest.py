"""``manage.py backtest <strategy_id> --start --end [--set k=v …] [costs] [--json PATH] [--csv DIR]``."""

from __future__ import annotations

import csv
import json
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from strategies import display
from strategies.engine.backtest import FILL_MODES
from strategies.services.backtests import BacktestRequest, backtest_export, backtest_run_execute, curve_csv_rows

SUMMARY = (
    ("total_return", "Total return", "pct"),
    ("cagr", "CAGR", "pct"),
    ("volatility", "Volatility", "pct"),
    ("sharpe", "Sharpe", "num"),
    ("sortino", "Sortino", "num"),
    ("calmar", "Calmar", "num"),
    ("max_drawdown", "Max drawdown", "pct"),
    ("var_95", "VaR 95", "pct"),
    ("cvar_95", "CVaR 95", "pct"),
    ("beta", "Beta", "num"),
    ("alpha", "Alpha", "pct"),
    ("win_rate", "Win rate", "pct"),
    ("profit_factor", "Profit factor", "num"),
    ("total_trades", "Trades", "int"),
    ("exposure", "Exposure", "pct"),
)


def _decimal(name: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CommandError(f"--{name} {text!r} is not a number") from None
    if not value.is_finite():
        raise CommandError(f"--{name} {text!r} is not a finite number")
    return value


def _overrides(pairs: list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--set {pair!r}: use key=value")
        overrides[key.strip()] = value.strip()
    return overrides


_FORMATS = {"pct": display.fmt_pct, "num": lambda value: display.fmt_ratio(value, 3), "int": display.fmt_int}


class Command(BaseCommand):
    help = "Backtest a registered strategy on stored bars; prints a summary, stores the run, exports JSON/CSV."

    def add_arguments(self, parser):
        parser.add_argument("strategy_id", help="a strategy of the registry, e.g. v3_5b")
        parser.add_argument("--start", required=True, help="first date (YYYY-MM-DD)")
        parser.add_argument("--end", required=True, help="last date (YYYY-MM-DD)")
        parser.add_argument(
            "--set",
            dest="sets",
            action="append",
            default=[],
            metavar="KEY=VALUE",
            help="override a strategy parameter (repeatable)",
        )
        parser.add_argument("--capital", help="initial capital (default: the strategy's portfolio setting)")
        parser.add_argument("--commission", help="commission per share (default: trading.commission_per_share)")
        parser.add_argument("--commission-per-trade", dest="commission_per_trade", help="flat commission per fill")
        parser.add_argument("--slippage", help="adverse slippage as a fraction (default: trading.slippage)")
        parser.add_argument("--fill", choices=FILL_MODES, default="close")
        parser.add_argument("--json", dest="json_path", help="write the run as JSON to this file")
        parser.add_argument("--csv", dest="csv_dir", help="write equity/fills/trades/regime CSV files to this folder")

    def handle(self, *args, **options):
        request = BacktestRequest(
            strategy_id=options["strategy_id"],
            start=date_option(options["start"], "start"),
            end=date_option(options["end"], "end"),
            param_overrides=_overrides(options["sets"]),
            initial_capital=_decimal("capital", options["capital"]),
            commission_per_share=_decimal("commission", options["commission"]),
            commission_per_trade=_decimal("commission-per-trade", options["commission_per_trade"]),
            slippage=_decimal("slippage", options["slippage"]),
            fill=options["fill"],
        )
        try:
            run = backtest_run_execute(request)
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        document = backtest_export(run)
        self._print_summary(run, document)
        if options["json_path"]:
            path = Path(options["json_path"])
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(document, cls=DjangoJSONEncoder, indent=1))
            self.stdout.write(f"JSON written to {path}")
        if options["csv_dir"]:
            self._write_csv(Path(options["csv_dir"]), document)

    def _print_summary(self, run, document) -> None:
        metrics = document["metrics"]
        self.stdout.write(
            f"Backtest #{run.pk}  {run.strategy_id_text} ({run.strategy_class})  {run.start_date} … {run.end_date}  "
            f"{len(document['equity_curve'])} days, {len(document['fills'])} fills, {run.duration_seconds:.2f}s"
        )
        # returns below are measured from the initial capital (before the first day's fills and costs)
        self.stdout.write(f"  {'Initial capital':<16}{display.fmt_money(run.initial_capital):>16}")
        self.stdout.write(f"  {'Final equity':<16}{display.fmt_money(run.final_equity):>16}")
        for key, label, kind in SUMMARY:
            self.stdout.write(f"  {label:<16}{_FORMATS[kind](metrics.get(key)):>16}")
        for warning in document["warnings"]:
            self.stdout.write(self.style.WARNING(f"  note: {warning}"))

    def _write_csv(self, folder: Path, document) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("equity_curve", "baseline_curve", "fills", "trades", "regime"):
            rows = document[name]
            if name.endswith("_curve"):
                columns, rows = curve_csv_rows(rows)
            else:
                columns = list(dict.fromkeys(k for row in rows for k in row)) if rows else ["date"]
            path = folder / f"{name}.csv"
            with path.open("w", newline="") as fh:
                writer = csv.DictWriter(fh, fieldnames=columns)
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: json.dumps(v) if isinstance(v, dict | list) else v for k, v in row.items()})
        self.stdout.write(f"CSV written to {folder}")
