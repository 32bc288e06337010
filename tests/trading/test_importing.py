"""Storing bars: the real reference files, dedupe, batching, repairs, flags, audit, metadata."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from jutsu.errors import DataMissing, InvalidParameter
from tests.data import shared_market_dir
from trading.marketdata.importing import market_data_import_file, market_data_store_bars
from trading.models import AuditOperation, AuditOutcome, DataAuditLog, DataMetadata, MarketData
from trading.sources.base import RawBar

pytestmark = pytest.mark.django_db

HEADER = "Date,Open,High,Low,Close,Adj Close,Volume\n"


def yahoo_rows(*rows: str) -> str:
    return HEADER + "\n".join(rows) + "\n"


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.mark.slow
def test_the_five_reference_files_store_20226_bars_and_a_reimport_changes_nothing(now):
    folder = shared_market_dir()
    files = [folder / f"{symbol}.csv" for symbol in ("QQQ", "TQQQ", "TLT", "TMF", "PSQ")]
    first = [market_data_import_file(path=path, now=now) for path in files]

    assert MarketData.objects.count() == 20226
    assert sum(summary.inserted for summary in first) == 20226
    qqq = first[0]
    assert qqq.rejected == 1 and qqq.repaired == 1
    assert sum(summary.flagged for summary in first) == 0, "no suspicious jumps in the reference data"
    assert qqq.rejections == ["QQQ.csv line 6879 (2026-07-14): close is missing ('null')"]

    bar = MarketData.objects.get(
        symbol="QQQ", timeframe="1D", timestamp__gte=day("2019-07-19"), timestamp__lt=day("2019-07-20")
    )
    assert bar.timestamp == day("2019-07-19")
    assert bar.high == Decimal("193.839996") >= bar.open and bar.low <= bar.close
    correction = DataAuditLog.objects.get(operation=AuditOperation.CORRECTION, symbol="QQQ")
    assert correction.bar_timestamp == bar.timestamp
    assert correction.details["original"]["high"] == "193.830002"
    assert correction.details["repaired"]["high"] == "193.839996"

    again = [market_data_import_file(path=path, now=now) for path in files]
    assert MarketData.objects.count() == 20226
    assert [s.inserted for s in again] == [0] * 5
    assert sum(s.skipped_duplicate for s in again) == 20226
    assert again[0].repaired == 0 and "nothing new" in again[0].line()
    assert DataAuditLog.objects.filter(operation=AuditOperation.CORRECTION).count() == 1
    assert DataAuditLog.objects.filter(operation=AuditOperation.IMPORT).count() == 10

    meta = DataMetadata.objects.get(symbol="QQQ", timeframe="1D")
    assert (meta.first_bar_at, meta.last_bar_at, meta.bar_count) == (day("1999-03-10"), day("2026-07-13"), 6877)
    assert meta.last_source == "csv"


def test_good_rows_are_stored_while_bad_rows_are_rejected_and_the_run_is_audited(write_csv, now):
    path = write_csv(
        "SPY.csv",
        yahoo_rows(
            "2020-01-02,10,11,9,10.5,10.4,100",
            "2020-01-03,10,11,9,null,null,100",
            "2020-01-06,10,9,8,9.5,9.4,100",
            "2020-01-07,10,11,9,10.2,10.1,100",
        ),
    )
    summary = market_data_import_file(path=path, now=now, user=None, actor="test")
    assert (summary.inserted, summary.rejected) == (2, 2)
    audit = DataAuditLog.objects.get(operation=AuditOperation.IMPORT)
    assert audit.outcome == AuditOutcome.PARTIAL and audit.file == str(path) and audit.actor == "test"
    assert (audit.inserted, audit.rejected) == (2, 2)
    assert audit.details["layout"] == "yahoo"
    assert audit.details["rejections"][0] == "SPY.csv line 3 (2020-01-03): close is missing ('null')"
    assert "SPY.csv line 4 (2020-01-06): open 10.000000 above high 9.000000" in audit.details["rejections"][1]


def test_the_symbol_defaults_to_the_upper_cased_file_stem(write_csv, now):
    market_data_import_file(path=write_csv("tlt.csv", yahoo_rows("2020-01-02,10,11,9,10.5,10.4,100")), now=now)
    assert MarketData.objects.get().symbol == "TLT"


def test_an_explicit_symbol_and_source_label_are_used(write_csv, now):
    path = write_csv("download.csv", yahoo_rows("2020-01-02,10,11,9,10.5,10.4,100"))
    market_data_import_file(path=path, symbol="qqq", data_source="yahoo", now=now)
    stored = MarketData.objects.get()
    assert (stored.symbol, stored.data_source) == ("QQQ", "yahoo")


def test_an_invalid_symbol_is_refused(write_csv, now):
    with pytest.raises(InvalidParameter, match="invalid symbol"):
        market_data_import_file(path=write_csv("x.csv", HEADER), symbol="WAY TOO LONG", now=now)


def test_a_file_with_an_unknown_layout_is_refused_and_audited_as_failed(write_csv, now):
    with pytest.raises(InvalidParameter):
        market_data_import_file(path=write_csv("odd.csv", "a,b\n1,2\n"), now=now)
    audit = DataAuditLog.objects.get()
    assert audit.outcome == AuditOutcome.FAILED and "unrecognised CSV header" in audit.message


def test_a_missing_file_is_refused(tmp_path, now):
    with pytest.raises(DataMissing):
        market_data_import_file(path=tmp_path / "QQQ.csv", now=now)


def test_the_generic_layout_imports_like_the_yahoo_one(write_csv, now):
    path = write_csv("GEN.csv", "timestamp,open,high,low,close,volume\n2020-01-02T00:00:00Z,1,2,0.5,1.5,7\n")
    summary = market_data_import_file(path=path, now=now)
    assert summary.inserted == 1
    assert MarketData.objects.get().timestamp == day("2020-01-02")


def test_an_intraday_file_keeps_bar_open_instants(write_csv, now):
    text = "timestamp,open,high,low,close,volume\n2020-01-02T09:30:00-05:00,1,2,0.5,1.5,7\n"
    market_data_import_file(path=write_csv("QQQ.csv", text), timeframe="15m", now=now)
    stored = MarketData.objects.get()
    assert (stored.timeframe, stored.timestamp) == ("15m", datetime(2020, 1, 2, 14, 30, tzinfo=UTC))


def test_a_duplicate_with_different_values_is_skipped_and_counted_as_a_conflict(write_csv, now):
    market_data_import_file(path=write_csv("QQQ.csv", yahoo_rows("2020-01-02,10,11,9,10.5,10.4,100")), now=now)
    changed = write_csv("QQQ.csv", yahoo_rows("2020-01-02,10,11,9,10.7,10.4,100", "2020-01-03,10,11,9,10,10,5"))
    summary = market_data_import_file(path=changed, now=now)
    assert (summary.inserted, summary.skipped_duplicate, summary.conflicts) == (1, 1, 1)
    assert MarketData.objects.get(timestamp=day("2020-01-02")).close == Decimal("10.5")
    assert "differ from the stored bars" in summary.line()


def test_a_split_like_drop_between_new_and_stored_bars_is_flagged_in_the_audit_log(write_csv, now):
    market_data_import_file(path=write_csv("AAPL.csv", yahoo_rows("2020-08-28,500,510,490,499.23,499,100")), now=now)
    path = write_csv("AAPL.csv", yahoo_rows("2020-08-31,127,131,126,129.04,128,100"))
    summary = market_data_import_file(path=path, now=now)
    assert summary.flagged == 1 and "4-for-1 split" in summary.flags[0]
    flag = DataAuditLog.objects.get(operation=AuditOperation.FLAG)
    assert flag.bar_timestamp == day("2020-08-31") and flag.details["kind"] == "split"
    assert MarketData.objects.get(timestamp=day("2020-08-31")).is_valid, "a flag does not invalidate the bar"


def test_a_big_jump_on_an_unleveraged_symbol_is_flagged_but_not_on_a_leveraged_one(write_csv, now):
    rows = yahoo_rows("2020-03-02,10,11,9,10,10,1", "2020-03-03,14.4,15,14,14.6,14.6,1")
    assert market_data_import_file(path=write_csv("XYZ.csv", rows), now=now).flagged == 1
    assert market_data_import_file(path=write_csv("TQQQ.csv", rows), now=now).flagged == 0


def test_a_crash_mid_import_keeps_whole_earlier_batches_and_none_of_the_crashed_one(now, monkeypatch):
    bars = [RawBar(f"2020-01-{d:02d}", "10", "11", "9", "10", "1", where=f"line {d}") for d in range(1, 31)]
    real_bulk_create = MarketData.objects.bulk_create
    calls = {"n": 0}

    def crash_on_third_batch(objs, **kwargs):
        calls["n"] += 1
        created = real_bulk_create(objs, **kwargs)
        if calls["n"] == 3:
            raise RuntimeError("disk full")
        return created

    monkeypatch.setattr(MarketData.objects, "bulk_create", crash_on_third_batch)
    with pytest.raises(RuntimeError, match="disk full"):
        market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=bars, now=now, batch_size=10)
    assert MarketData.objects.count() == 20
    failed = DataAuditLog.objects.get(outcome=AuditOutcome.FAILED)
    assert failed.inserted == 20 and "stopped after 20 bars: disk full" in failed.message

    monkeypatch.undo()
    summary = market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=bars, now=now)
    assert (summary.inserted, summary.skipped_duplicate) == (10, 20)
    assert MarketData.objects.count() == 30


def test_a_repair_in_a_crashed_batch_leaves_no_correction_row(now, monkeypatch):
    bars = [RawBar("2020-01-02", "10.01", "10", "9", "9.5", "1")]
    monkeypatch.setattr(DataAuditLog.objects, "bulk_create", lambda *a, **k: (_ for _ in ()).throw(OSError("boom")))
    with pytest.raises(OSError):
        market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="csv", raw_bars=bars, now=now)
    assert MarketData.objects.count() == 0
    assert not DataAuditLog.objects.filter(operation=AuditOperation.CORRECTION).exists()


def test_an_import_with_nothing_new_is_audited_as_no_change(write_csv, now):
    path = write_csv("QQQ.csv", yahoo_rows("2020-01-02,10,11,9,10.5,10.4,100"))
    market_data_import_file(path=path, now=now)
    market_data_import_file(path=path, now=now)
    outcomes = list(DataAuditLog.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == [AuditOutcome.SUCCESS, AuditOutcome.NO_CHANGE]


def test_real_bars_are_never_mixed_into_a_synthetic_series(write_csv, now):
    synthetic = [RawBar("2020-01-02", "10", "11", "9", "10", "1")]
    market_data_store_bars(symbol="QQQ", timeframe="1D", data_source="synthetic", raw_bars=synthetic, now=now)
    with pytest.raises(InvalidParameter, match="holds synthetic demo bars"):
        market_data_import_file(path=write_csv("QQQ.csv", yahoo_rows("2020-01-03,10,11,9,10.5,10.4,100")), now=now)
    assert MarketData.objects.count() == 1
    assert DataAuditLog.objects.filter(outcome=AuditOutcome.FAILED).exists()


def test_import_publishes_a_data_refresh_event_after_commit(write_csv, now, django_capture_on_commit_callbacks):
    path = write_csv("QQQ.csv", yahoo_rows("2020-01-02,10,11,9,10.5,10.4,100"))
    with django_capture_on_commit_callbacks() as callbacks:
        market_data_import_file(path=path, now=now)
    assert len(callbacks) == 1


def test_storing_nothing_for_a_new_symbol_creates_no_coverage_row(now):
    summary = market_data_store_bars(symbol="ZZZZ", timeframe="1D", data_source="schwab", raw_bars=[], now=now)
    assert summary.outcome == AuditOutcome.NO_CHANGE
    assert not DataMetadata.objects.filter(symbol="ZZZZ").exists()
