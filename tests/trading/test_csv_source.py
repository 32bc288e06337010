"""CSV layouts: detection by header, line numbers, file-level errors (no database)."""

from __future__ import annotations

from datetime import date

import pytest

from jutsu.errors import DataMissing, InvalidParameter
from trading.sources.csv_file import CsvFileSource, detect_layout, read_csv_bars

YAHOO = """
Date,Open,High,Low,Close,Adj Close,Volume
2019-07-18,191.0,192.5,190.1,192.0,190.4,100
2019-07-19,193.839996,193.830002,190.809998,191.009995,189.479202,29387900
"""


def test_the_yahoo_layout_is_detected_and_the_raw_close_is_used_not_adj_close(write_csv):
    result = read_csv_bars(write_csv("QQQ.csv", YAHOO))
    assert result.layout.name == "yahoo"
    assert result.bars[1].close == "191.009995"
    assert result.bars[1].where == "QQQ.csv line 3"


def test_the_generic_layout_is_detected_with_extra_columns_ignored(write_csv):
    path = write_csv("x.csv", "timestamp,volume,open,high,low,close,note\n2020-01-02,5,1,2,0.5,1.5,hi\n")
    result = read_csv_bars(path)
    assert result.layout.name == "generic"
    bar = result.bars[0]
    assert (bar.timestamp, bar.open, bar.high, bar.low, bar.close, bar.volume) == (
        "2020-01-02",
        "1",
        "2",
        "0.5",
        "1.5",
        "5",
    )


@pytest.mark.parametrize("stamp", ["datetime", "Date", "TIME"])
def test_the_generic_layout_accepts_other_names_for_the_timestamp_column(stamp):
    layout = detect_layout([stamp, "Open", "High", "Low", "Close", "Volume"])
    assert layout.name == "generic" and layout.columns["timestamp"] == 0


def test_header_names_are_case_and_underscore_insensitive():
    assert detect_layout(["DATE", "open", "HIGH", "low", "Close", "adj_close", "volume"]).name == "yahoo"


def test_an_unknown_header_names_the_missing_columns_and_the_accepted_layouts(write_csv):
    with pytest.raises(InvalidParameter) as caught:
        read_csv_bars(write_csv("bad.csv", "when,o,h,l,c\n1,2,3,4,5\n"))
    message = str(caught.value)
    assert "bad.csv" in message and "missing open" in message and "Date,Open,High,Low,Close,Adj Close,Volume" in message


def test_an_empty_file_is_an_error(write_csv):
    with pytest.raises(InvalidParameter, match="empty"):
        read_csv_bars(write_csv("empty.csv", "\n\n"))


def test_a_missing_file_is_an_error_naming_it(tmp_path):
    with pytest.raises(DataMissing, match=r"nope\.csv: file not found"):
        read_csv_bars(tmp_path / "nope.csv")


def test_a_directory_is_not_a_file(tmp_path):
    with pytest.raises(DataMissing, match="not a file"):
        read_csv_bars(tmp_path)


def test_a_binary_file_is_reported_as_not_utf8(tmp_path):
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x01garbage")
    with pytest.raises(InvalidParameter, match="not a UTF-8 text file"):
        read_csv_bars(path)


def test_a_short_row_is_rejected_with_its_line_while_other_rows_are_read(write_csv):
    path = write_csv("QQQ.csv", YAHOO + "2019-07-22,1,2\n")
    result = read_csv_bars(path)
    assert len(result.bars) == 2
    assert result.rejections == [("QQQ.csv line 4 (2019-07-22)", "expected 7 fields, found 3")]


def test_blank_lines_are_skipped_and_line_numbers_stay_physical(write_csv):
    path = write_csv("QQQ.csv", YAHOO.replace("2019-07-19", "\n2019-07-19"))
    assert read_csv_bars(path).bars[1].where == "QQQ.csv line 4"


def test_a_utf8_bom_does_not_hide_the_first_column(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_text("\ufeff" + YAHOO.lstrip(), encoding="utf-8")
    assert read_csv_bars(path).layout.name == "yahoo"


def test_the_csv_source_returns_only_rows_in_the_requested_range(write_csv):
    source = CsvFileSource(write_csv("QQQ.csv", YAHOO))
    bars = source.fetch_bars("QQQ", "1D", date(2019, 7, 19), date(2019, 7, 19))
    assert [bar.timestamp for bar in bars] == ["2019-07-19"]
