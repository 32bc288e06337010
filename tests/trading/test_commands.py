"""The market-data commands: arguments, summaries, exit codes, no tracebacks."""

from __future__ import annotations

from datetime import date
from io import StringIO
from unittest.mock import patch

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connections

from tests.trading.fakes import yahoo_frame
from tests.trading.test_sync import NOVEMBER, use_yahoo
from trading.models import DataAuditLog, MarketData

pytestmark = pytest.mark.django_db

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """Run a command like ``manage.py`` does (exit code, stdout, stderr), tracebacks included.

    ``run_from_argv`` closes every connection when it ends; the test's transaction needs its own.
    """
    from django.core.management import ManagementUtility

    utility = ManagementUtility(["manage.py", *argv])
    try:
        with patch.object(connections, "close_all"):
            utility.execute()
        code = 0
    except SystemExit as exit_:
        code = exit_.code or 0
    out, err = capsys.readouterr()
    return code, out, err


def test_import_reports_rejections_repairs_and_a_summary_and_exits_zero(write_csv, capsys):
    path = write_csv(
        "QQQ.csv",
        HEADER + "2019-07-18,191,192.5,190.1,192,190.4,100\n"
        "2019-07-19,193.839996,193.830002,190.809998,191.009995,189.479202,29387900\n"
        "2026-07-14,720.140015,722.280029,714.340027,null,null,29441202\n",
    )
    code, out, err = run(capsys, "import_market_data", str(path))
    assert code == 0, err
    assert "rejected: QQQ.csv line 4 (2026-07-14): close is missing ('null')" in out
    assert "repaired: QQQ.csv line 3 (2019-07-19): open 193.839996 above high 193.830002" in out
    assert "QQQ 1D from QQQ.csv: 2 inserted, 0 skipped (duplicate), 1 repaired, 1 rejected, 0 flagged" in out
    assert "Imported 1 of 1 file(s): 2 inserted" in out

    code, out, _ = run(capsys, "import_market_data", str(path))
    assert code == 0 and "0 inserted, 2 skipped (duplicate)" in out and "nothing new" in out
    assert MarketData.objects.count() == 2


def test_import_of_a_missing_file_exits_non_zero_without_a_traceback(tmp_path, capsys):
    code, out, err = run(capsys, "import_market_data", str(tmp_path / "QQQ.csv"))
    assert code == 1
    assert "file not found" in err and "QQQ.csv" in err and "Traceback" not in err + out


def test_import_of_an_unrecognised_file_exits_non_zero_after_importing_the_others(write_csv, capsys):
    good = write_csv("TLT.csv", HEADER + "2020-01-02,10,11,9,10.5,10.4,100\n")
    bad = write_csv("BAD.csv", "foo,bar\n1,2\n")
    code, out, err = run(capsys, "import_market_data", str(good), str(bad))
    assert code == 1 and "unrecognised CSV header" in err and "Traceback" not in err
    assert "Imported 1 of 2 file(s)" in out and MarketData.objects.filter(symbol="TLT").count() == 1


def test_import_symbol_override_is_refused_for_several_files(write_csv, capsys):
    one, two = write_csv("a.csv", HEADER), write_csv("b.csv", HEADER)
    code, _, err = run(capsys, "import_market_data", str(one), str(two), "--symbol", "QQQ")
    assert code == 1 and "--symbol can only be used with a single file" in err


def test_import_with_symbol_timeframe_and_source_options(write_csv, capsys):
    path = write_csv("export.csv", "timestamp,open,high,low,close,volume\n2020-01-02T14:30:00Z,1,2,0.5,1.5,7\n")
    code, out, _ = run(capsys, "import_market_data", str(path), "--symbol", "spy", "--timeframe", "15m",
                       "--source", "yahoo")  # fmt: skip
    assert code == 0 and "SPY 15m from export.csv: 1 inserted" in out
    assert MarketData.objects.get().data_source == "yahoo"


def test_import_usage_error_for_an_unknown_timeframe(write_csv, capsys):
    code, _, err = run(capsys, "import_market_data", str(write_csv("a.csv", HEADER)), "--timeframe", "1W")
    assert code == 2 and "invalid choice: '1W'" in err


def test_sync_prints_a_summary_per_symbol(capsys):
    use_yahoo(yahoo_frame(NOVEMBER))
    code, out, err = run(capsys, "sync_market_data", "--source", "yahoo", "QQQ", "--start", "2026-11-18",
                         "--end", "2026-11-20")  # fmt: skip
    assert code == 0, err
    assert "QQQ 1D from yahoo: 3 inserted" in out and "[2026-11-18 … 2026-11-20]" in out
    assert "Synced 1 of 1 symbol(s) from yahoo" in out


def test_sync_with_an_unreachable_source_exits_non_zero_with_a_clear_message(capsys):
    use_yahoo(yahoo_frame([]))
    code, out, err = run(capsys, "sync_market_data", "--source", "yahoo", "QQQ", "--start", "2026-11-16",
                         "--end", "2026-11-20")  # fmt: skip
    assert code == 1
    assert "QQQ 1D: FAILED — Yahoo Finance returned no 1d bars for QQQ" in err
    assert "could not sync QQQ" in err and "Traceback" not in err + out


def test_sync_rejects_a_malformed_date(capsys):
    code, _, err = run(capsys, "sync_market_data", "QQQ", "--start", "18/11/2026")
    assert code == 1 and "invalid date '18/11/2026': use YYYY-MM-DD" in err


def test_generate_demo_data_stores_all_demo_symbols_and_is_idempotent(capsys):
    args = ("generate_demo_data", "--start", "2020-01-02", "--end", "2020-03-31")
    code, out, err = run(capsys, *args)
    assert code == 0, err
    assert MarketData.objects.filter(data_source="synthetic").values("symbol").distinct().count() == 7
    assert "Synthetic demo data (seed 42): 434 bars inserted for 7 symbol(s)" in out  # 62 sessions × 7
    code, out, _ = run(capsys, *args)
    assert code == 0 and "0 bars inserted" in out and MarketData.objects.count() == 434


def test_generate_demo_data_remove_deletes_only_synthetic_bars(write_csv, capsys):
    run(capsys, "generate_demo_data", "--start", "2020-01-02", "--end", "2020-01-10", "--symbols", "QQQ,TLT")
    run(capsys, "import_market_data", str(write_csv("PSQ.csv", HEADER + "2020-01-02,10,11,9,10.5,10.4,100\n")))
    code, out, _ = run(capsys, "generate_demo_data", "--remove", "--symbols", "QQQ,TLT,PSQ")
    assert code == 0 and "QQQ: 7 synthetic bars removed" in out and "PSQ: 0 synthetic bars removed" in out
    assert list(MarketData.objects.values_list("symbol", flat=True)) == ["PSQ"]
    assert DataAuditLog.objects.filter(operation="remove_synthetic").count() == 3


def test_generate_demo_data_refuses_an_unknown_symbol(capsys):
    code, _, err = run(capsys, "generate_demo_data", "--symbols", "SPY")
    assert code == 1 and "no synthetic model for SPY" in err


def test_call_command_raises_command_error_for_services_errors(tmp_path):
    with pytest.raises(CommandError, match="file not found"):
        call_command("import_market_data", str(tmp_path / "x.csv"), stdout=StringIO())


def test_commands_leave_the_logic_to_services():
    """Commands only parse arguments: each one is a thin module."""
    from pathlib import Path

    import trading.management.commands as package

    for name in ("import_market_data", "sync_market_data", "generate_demo_data"):
        source = (Path(package.__file__).parent / f"{name}.py").read_text()
        assert "objects." not in source and "transaction" not in source, name


def test_sync_date_parsing_is_exact():
    from jutsu.management.options import date_option

    assert date_option("2026-11-18", "start") == date(2026, 11, 18)
