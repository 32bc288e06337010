"""``manage.py optimize grid|walkforward|search|montecarlo|audit|resume …`` — parameter research.

Where the trials run (``--workers``): ``celery`` queues one task per trial on the ``research`` queue and
waits, showing progress; ``local`` runs them in this process; ``auto`` (default) uses Celery when a worker
has reported a heartbeat within ``jobs.heartbeat_stale_seconds`` and runs locally otherwise — so the
command works on a fresh database with no worker at all, and fans out as soon as workers exist.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder

from jutsu.conf.resolver import resolve_value
from jutsu.errors import JutsuError
from jutsu.management.options import date_option
from jutsu.management.progress import ProgressBar
from jutsu.scheduler.heartbeat import heartbeat_status
from strategies import display
from strategies.engine.optimize import MONTE_CARLO_METHODS, RANKING_METRICS
from strategies.models import OptimizationKind, OptimizationRun, OptimizationStatus, TrialStatus
from strategies.selectors import optimization_trial_counts
from strategies.services.optimization_analysis import (
    optimization_audit,
    optimization_export,
    optimization_montecarlo_execute,
)
from strategies.services.optimization_config import optimization_config_load
from strategies.services.optimization_runs import (
    OptimizationRequest,
    optimization_run_recover,
    optimization_run_resume,
    optimization_run_start,
    optimization_run_work_locally,
)
from strategies.services.optimization_search import search_range_from_text
from strategies.services.optimization_trials import claim_timeout

SHOWN = 10
POLL_SECONDS = 0.5


def _pairs(values: list[str], option: str) -> list[tuple[str, str]]:
    out = []
    for text in values:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise CommandError(f"--{option} {text!r}: use name=value")
        out.append((key.strip(), value.strip()))
    return out


def _grid_values(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def _range(text: str) -> dict[str, Any]:
    """``low:high[:step]`` → a numeric range; ``a,b,c`` → choices."""
    try:
        return search_range_from_text(text)
    except ValueError as exc:
        raise CommandError(f"--range value {exc}") from exc


def _dump(document: dict[str, Any], path: str) -> None:
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, cls=DjangoJSONEncoder, indent=1))


class Command(BaseCommand):
    help = "Parameter research: grid search, walk-forward, Bayesian search, Monte Carlo and an overfitting audit."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(
            dest="action", required=True, metavar="grid|walkforward|search|montecarlo|audit|resume"
        )
        sub.required = True
        for name, text in (
            ("grid", "every combination of a parameter grid, ranked by a metric"),
            ("walkforward", "rolling in-sample/out-of-sample windows over a grid"),
            ("search", "Bayesian search (Optuna) over parameter ranges"),
        ):
            p = sub.add_parser(name, help=text, description=text)
            p.add_argument("strategy_id", help="a strategy of the registry, e.g. v3_5b")
            p.add_argument("--start", help="first date (YYYY-MM-DD; default: the YAML file's)")
            p.add_argument("--end", help="last date (YYYY-MM-DD; default: the YAML file's)")
            p.add_argument("--grid", dest="grid_file", help="optimisation YAML (config/optimization/*.yaml)")
            p.add_argument(
                "--set",
                dest="sets",
                action="append",
                default=[],
                metavar="NAME=VALUE",
                help="a fixed parameter for every trial (repeatable)",
            )
            p.add_argument("--metric", help=f"ranking metric (default sharpe): {', '.join(RANKING_METRICS)}")
            p.add_argument("--fill", choices=("close", "next_open"), default="close")
            self._common(p)
            if name == "search":
                p.add_argument(
                    "--range",
                    dest="ranges",
                    action="append",
                    default=[],
                    metavar="NAME=LOW:HIGH[:STEP]",
                    help="a search range, or NAME=a,b,c for choices (repeatable)",
                )
                p.add_argument("--trials", type=int, default=50, help="number of trials (default 50)")
                p.add_argument("--seed", type=int, help="sampler seed (reproducible search)")
                p.add_argument(
                    "--batch", type=int, default=4, help="trials suggested together and run in parallel (default 4)"
                )
            else:
                p.add_argument(
                    "--param",
                    dest="params",
                    action="append",
                    default=[],
                    metavar="NAME=V1,V2,…",
                    help="grid values of a parameter (repeatable; adds to/overrides the YAML grid)",
                )
            if name == "walkforward":
                p.add_argument("--is-bars", dest="is_bars", type=int, help="in-sample bars per window (default 252)")
                p.add_argument(
                    "--oos-bars", dest="oos_bars", type=int, help="out-of-sample bars per window (default 63)"
                )
        mc = sub.add_parser("montecarlo", help="resample a backtest's daily returns")
        mc.add_argument("--backtest", type=int, required=True, help="id of a completed backtest run")
        mc.add_argument("--paths", type=int, default=1000)
        mc.add_argument("--seed", type=int, help="random seed (drawn and recorded when omitted)")
        mc.add_argument("--method", choices=MONTE_CARLO_METHODS, default="bootstrap")
        mc.add_argument("--block-size", dest="block_size", type=int, default=20, help="block length for --method block")
        mc.add_argument("--json", dest="json_path", help="write the result as JSON to this file")
        audit = sub.add_parser("audit", help="deflated Sharpe, PBO and plateau check of a finished run")
        audit.add_argument("run_id", type=int)
        audit.add_argument("--json", dest="json_path", help="write the audit as JSON to this file")
        resume = sub.add_parser("resume", help="continue an unfinished grid/walk-forward/search run")
        resume.add_argument("run_id", type=int)
        self._common(resume)

    @staticmethod
    def _common(parser) -> None:
        parser.add_argument(
            "--workers",
            choices=("auto", "local", "celery"),
            default="auto",
            help="where trials run: celery workers, this process, or auto (celery when a worker is alive)",
        )
        parser.add_argument("--json", dest="json_path", help="write the run as JSON to this file")
        parser.add_argument("--no-progress", dest="no_progress", action="store_true", help="no progress bar")

    def handle(self, *args, action: str, **options):
        try:
            if action == "montecarlo":
                return self._montecarlo(options)
            if action == "audit":
                return self._audit(options)
            if action == "resume":
                execution = self._execution(options["workers"])
                run = optimization_run_resume(options["run_id"], execution=execution)
                return self._follow(run, execution, options)
            request = self._request(action, options)
            execution = self._execution(options["workers"])
            run = optimization_run_start(request, execution=execution)
        except JutsuError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Optimisation #{run.pk}: {run.kind} of {run.strategy_id_text} {run.start_date} … {run.end_date}, "
            f"{run.total_trials} trials, ranked by {run.metric} "
            f"({'on Celery workers' if execution == 'celery' else 'in this process'})"
        )
        for note in run.options.get("skipped") or []:
            self.stdout.write(self.style.WARNING(f"  left out: {note}"))
        return self._follow(run, execution, options)

    # ------------------------------------------------------------------ building the request
    def _request(self, action: str, options) -> OptimizationRequest:
        config = optimization_config_load(options["grid_file"]) if options["grid_file"] else {}
        if config.get("strategy") and config["strategy"] != options["strategy_id"]:
            raise CommandError(
                f"{options['grid_file']} is written for {config['strategy']!r}, not {options['strategy_id']!r}"
            )
        start = date_option(options["start"], "start") or config.get("start")
        end = date_option(options["end"], "end") or config.get("end")
        if not start or not end:
            raise CommandError("--start and --end are required (or start/end in the YAML file)")
        sets = dict(_pairs(options["sets"], "set"))
        if action == "search":
            space = {**(config.get("search") or {}), **{k: _range(v) for k, v in _pairs(options["ranges"], "range")}}
        else:
            space = {
                **(config.get("grid") or {}),
                **{k: _grid_values(v) for k, v in _pairs(options["params"], "param")},
            }
        # a YAML fixed parameter given grid values on the command line becomes a grid dimension
        fixed = {**{k: v for k, v in (config.get("params") or {}).items() if k not in space}, **sets}
        windows = config.get("walkforward") or {}
        return OptimizationRequest(
            kind=action,
            strategy_id=options["strategy_id"],
            start=start,
            end=end,
            space=space,
            fixed_params=fixed,
            metric=options["metric"] or config.get("metric") or "sharpe",
            is_bars=options.get("is_bars") or windows.get("is_bars") or 252,
            oos_bars=options.get("oos_bars") or windows.get("oos_bars") or 63,
            n_trials=options.get("trials") or 50,
            seed=options.get("seed"),
            batch_size=options.get("batch") or 4,
            fill=options["fill"],
        )

    @staticmethod
    def _execution(choice: str) -> str:
        if choice != "auto":
            return choice
        stale = int(resolve_value("jobs.heartbeat_stale_seconds"))
        return "celery" if heartbeat_status("worker", stale_after_seconds=stale).alive else "local"

    # ------------------------------------------------------------------ running and waiting
    def _follow(self, run: OptimizationRun, execution: str, options) -> None:
        bar = ProgressBar(self.stderr._out, enabled=not options["no_progress"])
        bar.start(run.total_trials, "trials")
        shown = [0]

        def progress(counts: dict[str, int], total: int) -> None:
            done = counts[TrialStatus.COMPLETED] + counts[TrialStatus.FAILED]
            if total != bar.total:
                bar.total = total
            bar.advance(done - shown[0])
            shown[0] = done

        if run.status == OptimizationStatus.RUNNING:
            if execution == "local":
                run = optimization_run_work_locally(run.pk, on_progress=progress)
            else:
                run = self._wait(run.pk, progress)
        bar.finish()
        self._report(run, options)

    def _wait(self, run_id: int, progress) -> OptimizationRun:
        """Poll until the run finishes; after a claim timeout without progress, recover abandoned trials."""
        quiet_limit = claim_timeout().total_seconds()
        last_done, last_change = -1, time.monotonic()
        while True:
            run = OptimizationRun.objects.get(pk=run_id)
            counts = optimization_trial_counts(run_id)
            progress(counts, run.total_trials)
            if run.status != OptimizationStatus.RUNNING:
                return run
            done = counts[TrialStatus.COMPLETED] + counts[TrialStatus.FAILED]
            if done != last_done:
                last_done, last_change = done, time.monotonic()
            elif time.monotonic() - last_change > quiet_limit:
                self.stderr.write(f"no progress for {quiet_limit:.0f}s: re-queueing abandoned trials")
                optimization_run_recover(run_id, enqueue=True)
                last_change = time.monotonic()
            time.sleep(POLL_SECONDS)

    # ------------------------------------------------------------------ output
    def _report(self, run: OptimizationRun, options) -> None:
        document = optimization_export(run)
        if run.status == OptimizationStatus.FAILED:
            raise CommandError(f"optimisation #{run.pk} failed: {run.error}")
        self._print_ranking(run, document)
        if run.kind == OptimizationKind.WALKFORWARD:
            self._print_walkforward(document)
        self._print_audit(run.audit)
        if options["json_path"]:
            _dump(document, options["json_path"])
            self.stdout.write(f"JSON written to {options['json_path']}")

    def _print_ranking(self, run: OptimizationRun, document: dict[str, Any]) -> None:
        results = document["results"]
        varied = [name for name, values in run.space.items() if run.kind == "search" or len(values) > 1]
        self.stdout.write(f"Ranking by {run.metric} ({len(results)} completed, {len(document['failed'])} failed):")
        header = "  ".join(
            [f"{'#':>3}", *(f"{n[:14]:>14}" for n in varied), f"{run.metric[:10]:>10}", "    return", "    max DD"]
        )
        self.stdout.write("  " + header)
        for row in results[:SHOWN]:
            metrics = row["metrics"]
            cells = [f"{row['rank']:>3}", *(f"{str(row['params'].get(n))[:14]:>14}" for n in varied)]
            cells += [
                f"{display.fmt_ratio(metrics.get(run.metric), 3):>10}",
                f"{display.fmt_pct(metrics.get('total_return')):>10}",
                f"{display.fmt_pct(metrics.get('max_drawdown')):>10}",
            ]
            self.stdout.write("  " + "  ".join(cells))
        if len(results) > SHOWN:
            self.stdout.write(f"  … {len(results) - SHOWN} more (see --json, the API or /optimizations/{run.pk}/)")
        for failure in document["failed"][:3]:
            self.stdout.write(self.style.WARNING(f"  trial {failure['number']} failed: {failure['error']}"))

    def _print_walkforward(self, document: dict[str, Any]) -> None:
        windows = document.get("windows") or []
        equity = document.get("oos_equity") or []
        efficiency = document.get("efficiency")
        self.stdout.write(
            f"Walk-forward: {len(windows)} windows, efficiency {display.fmt_ratio(efficiency, 3)}, "
            f"OOS equity {equity[0]['equity']:.2f} → {equity[-1]['equity']:.2f}"
            if equity
            else "Walk-forward: no windows"
        )

    def _print_audit(self, audit: dict[str, Any]) -> None:
        if not audit:
            return
        dsr = display.fmt_ratio(audit.get("deflated_sharpe"), 3)
        self.stdout.write(
            f"Audit: {audit.get('verdict', '—')} — deflated Sharpe {dsr}, PBO {display.fmt_pct(audit.get('pbo'))}"
        )
        for reason in audit.get("reasons") or []:
            self.stdout.write(f"  {reason}")

    def _montecarlo(self, options) -> None:
        run = optimization_montecarlo_execute(
            backtest_id=options["backtest"],
            paths=options["paths"],
            seed=options["seed"],
            method=options["method"],
            block_size=options["block_size"],
        )
        document = optimization_export(run)
        self.stdout.write(
            f"Monte Carlo #{run.pk} of backtest #{run.backtest_id}: {document['paths']} {document['method']} paths, "
            f"seed {document['seed']}"
        )
        self.stdout.write(f"  {'':<14}{'p5':>10}{'p50':>10}{'p95':>10}")
        for name, label, kind in (
            ("total_return", "Total return", "pct"),
            ("cagr", "CAGR", "pct"),
            ("sharpe", "Sharpe", "num"),
            ("max_drawdown", "Max drawdown", "pct"),
        ):
            fmt = display.fmt_pct if kind == "pct" else (lambda v: display.fmt_ratio(v, 3))
            p = document["percentiles"][name]
            self.stdout.write(f"  {label:<14}{fmt(p['p5']):>10}{fmt(p['p50']):>10}{fmt(p['p95']):>10}")
        self.stdout.write(f"  Probability of loss {display.fmt_pct(document['probability_of_loss'])}")
        if options["json_path"]:
            _dump(document, options["json_path"])
            self.stdout.write(f"JSON written to {options['json_path']}")

    def _audit(self, options) -> None:
        document = optimization_audit(options["run_id"])
        self._print_audit(document)
        if options["json_path"]:
            _dump(document, options["json_path"])
            self.stdout.write(f"JSON written to {options['json_path']}")
