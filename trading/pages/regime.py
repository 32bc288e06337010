"""The regime page: a strategy's cell timeline, per-cell statistics, indicator history and today's decision tree.

Everything comes from the trading job's ``RegimeState`` rows and the trades it booked (``LiveTrade`` carries
the cell it was decided in), read through ``trading.selectors``; charts are small server-drawn SVGs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from strategies.display import REGIME_CELL_NAMES
from strategies.models import Strategy
from trading.indicators import DESCRIPTIONS_BY_KEY, regime_thresholds
from trading.regime_tree import cell_table, decision_tree
from trading.selectors import regime_states_history, trades_list

RANGE_DAYS = {"3M": 92, "6M": 183, "1Y": 366, "ALL": None}
DEFAULT_RANGE = "6M"
CHART_WIDTH, CHART_HEIGHT, CHART_PAD = 600, 110, 4
RECENT_ROWS = 15


@dataclass(frozen=True)
class Segment:
    """A run of consecutive sessions in one cell."""

    cell: int | None
    start: date
    end: date
    sessions: int

    @property
    def label(self) -> str:
        name = f"cell {self.cell} {REGIME_CELL_NAMES.get(self.cell, '')}" if self.cell else "no cell"
        plural = "s" if self.sessions != 1 else ""
        return f"{name}: {self.start:%Y-%m-%d} → {self.end:%Y-%m-%d} ({self.sessions} session{plural})"


def cell_segments(rows: list) -> list[Segment]:
    """Consecutive rows with the same cell merged into segments, oldest first."""
    segments: list[Segment] = []
    for row in rows:
        last = segments[-1] if segments else None
        if last is not None and last.cell == row.strategy_cell:
            segments[-1] = Segment(last.cell, last.start, row.trading_date, last.sessions + 1)
        else:
            segments.append(Segment(row.strategy_cell, row.trading_date, row.trading_date, 1))
    return segments


def cell_statistics(segments: list[Segment], trade_rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per cell: sessions, share of the range, episodes, average episode length, trades and realised P&L of the
    closing trades decided in that cell (``trade_rows``: ``strategy_cell``, ``realized_pnl`` per trade)."""
    total = sum(s.sessions for s in segments) or 1
    out = []
    for info in cell_table():
        cell = info["cell"]
        mine = [s for s in segments if s.cell == cell]
        sessions = sum(s.sessions for s in mine)
        trades = [t for t in trade_rows if t["strategy_cell"] == cell]
        closed = [t["realized_pnl"] for t in trades if t["realized_pnl"] is not None]
        out.append(
            {
                **info,
                "sessions": sessions,
                "share": sessions / total if segments else None,
                "episodes": len(mine),
                "avg_length": sessions / len(mine) if mine else None,
                "last_seen": mine[-1].end if mine else None,
                "trades": len(trades),
                "closed": len(closed),
                "realized_pnl": sum(closed) if closed else None,
                "win_rate": sum(1 for p in closed if p > 0) / len(closed) if closed else None,
            }
        )
    return out


def line_chart(
    dates: list[date], values: list[float | None], *, guides: dict[str, float | None] | None = None
) -> dict[str, Any] | None:
    """SVG ``points`` of ``values`` over the chart box plus horizontal guide lines (thresholds) at their levels;
    ``None`` below two values."""
    pairs = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(pairs) < 2:
        return None
    levels = [v for v in (guides or {}).values() if v is not None]
    low, high = min([v for _, v in pairs] + levels), max([v for _, v in pairs] + levels)
    span = (high - low) or 1.0
    step = (CHART_WIDTH - 2 * CHART_PAD) / max(len(values) - 1, 1)
    inner = CHART_HEIGHT - 2 * CHART_PAD

    def y(value: float) -> float:
        return CHART_PAD + inner - (value - low) / span * inner

    return {
        "points": " ".join(f"{CHART_PAD + i * step:.1f},{y(v):.1f}" for i, v in pairs),
        "guides": [{"label": k, "value": v, "y": f"{y(v):.1f}"} for k, v in (guides or {}).items() if v is not None],
        "low": low,
        "high": high,
        "first": dates[0],
        "last": dates[-1],
        "latest": pairs[-1][1],
    }


def regime_page_context(strategy: Strategy, *, mode: str, range_key: str) -> dict[str, Any]:
    """The page for one strategy in one mode over a preset range ending at its newest regime row."""
    newest = regime_states_history(strategy_id=strategy.strategy_id, mode=mode).last()
    days = RANGE_DAYS.get(range_key)
    start = newest.trading_date - timedelta(days=days - 1) if newest and days else None
    rows = list(regime_states_history(strategy_id=strategy.strategy_id, mode=mode, start=start)) if newest else []
    thresholds = regime_thresholds(strategy)
    trade_rows = list(
        trades_list(strategy_id=strategy.strategy_id, mode=mode, start=start).values("strategy_cell", "realized_pnl")
    )
    segments = cell_segments(rows)
    dates = [r.trading_date for r in rows]
    charts = {
        "t_norm": line_chart(
            dates,
            [r.t_norm for r in rows],
            guides={"bull": thresholds.get("t_norm_bull_thresh"), "bear": thresholds.get("t_norm_bear_thresh")},
        ),
        "z_score": line_chart(
            dates,
            [r.z_score for r in rows],
            guides={"upper": thresholds.get("upper_thresh_z"), "lower": thresholds.get("lower_thresh_z")},
        ),
        "sma_gap": line_chart(
            dates,
            [(r.sma_fast / r.sma_slow - 1.0) if r.sma_fast and r.sma_slow else None for r in rows],
            guides={"fast = slow": 0.0},
        ),
    }
    return {
        "latest": newest,
        "tree": decision_tree(newest, thresholds),
        "thresholds": thresholds,
        "segments": segments,
        "cell_stats": cell_statistics(segments, trade_rows),
        "charts": charts,
        "recent": list(reversed(rows[-RECENT_ROWS:])),
        "rows_count": len(rows),
        "start": rows[0].trading_date if rows else None,
        "descriptions": DESCRIPTIONS_BY_KEY,
        "range_keys": list(RANGE_DAYS),
    }
