"""CSV files of daily or intraday bars, layout auto-detected from the header.

Two layouts are recognised (column names are case-insensitive; ``_`` and spaces are equivalent):

* Yahoo:   ``Date,Open,High,Low,Close,Adj Close,Volume`` — the layout Yahoo Finance exports;
* generic: ``timestamp,open,high,low,close,volume`` (``datetime``, ``date`` or ``time`` also name
  the timestamp column); extra columns are ignored.

Which price is stored: the raw ``Close`` column, which Yahoo publishes split-adjusted but not
dividend-adjusted. ``Adj Close`` (also dividend-adjusted) is ignored on purpose: open/high/low are
only split-adjusted, so mixing in the dividend-adjusted close would break OHLC consistency, and the
strategies are specified on split-adjusted closes.

The reader does not judge values: every data row becomes a ``RawBar`` located by file and line, and
rows that cannot even be split into the layout's fields are returned as rejections. Validation is
``trading.marketdata.validation``'s job.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from jutsu.errors import DataMissing, InvalidParameter
from trading.sources.base import MarketDataSource, RawBar

FIELDS = ("timestamp", "open", "high", "low", "close", "volume")
TIMESTAMP_ALIASES = ("timestamp", "datetime", "date", "time")
YAHOO_HEADER = "Date,Open,High,Low,Close,Adj Close,Volume"
GENERIC_HEADER = "timestamp,open,high,low,close,volume"


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """A recognised header: its name and the column index of each field of ``FIELDS``."""

    name: str
    columns: dict[str, int]
    width: int


@dataclass(slots=True)
class CsvReadResult:
    path: Path
    layout: CsvLayout
    bars: list[RawBar] = field(default_factory=list)
    #: (where, reason) for rows that do not fit the layout at all.
    rejections: list[tuple[str, str]] = field(default_factory=list)


def _normalise(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def detect_layout(header: list[str], *, label: str = "file") -> CsvLayout:
    """Recognise the header row, or raise ``InvalidParameter`` saying which layouts are accepted."""
    names = [_normalise(column) for column in header]
    index = {name: position for position, name in reversed(list(enumerate(names)))}
    price_columns = ("open", "high", "low", "close", "volume")
    if all(column in index for column in ("date", "adj close", *price_columns)):
        columns = {"timestamp": index["date"], **{column: index[column] for column in price_columns}}
        return CsvLayout("yahoo", columns, len(names))
    stamp = next((alias for alias in TIMESTAMP_ALIASES if alias in index), None)
    if stamp and all(column in index for column in price_columns):
        columns = {"timestamp": index[stamp], **{column: index[column] for column in price_columns}}
        return CsvLayout("generic", columns, len(names))
    missing = [column for column in price_columns if column not in index] + ([] if stamp else ["timestamp"])
    raise InvalidParameter(
        f"{label}: unrecognised CSV header {','.join(header)!r} (missing {', '.join(missing)}). "
        f"Expected Yahoo's layout '{YAHOO_HEADER}' or the generic layout '{GENERIC_HEADER}'."
    )


def read_csv_bars(path: Path | str) -> CsvReadResult:
    """Read every data row of ``path`` as a ``RawBar``.

    Raises ``DataMissing`` when the file is missing or unreadable and ``InvalidParameter`` when it is
    empty or its header matches no layout.
    """
    path = Path(path)
    label = path.name
    if not path.exists():
        raise DataMissing(f"{path}: file not found")
    if not path.is_file():
        raise DataMissing(f"{path}: not a file")
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            return _read(handle, path, label)
    except UnicodeDecodeError as exc:
        raise InvalidParameter(f"{path}: not a UTF-8 text file ({exc.reason} at byte {exc.start})")
    except csv.Error as exc:
        raise InvalidParameter(f"{path}: malformed CSV ({exc})")
    except OSError as exc:
        raise DataMissing(f"{path}: cannot read the file ({exc.strerror or exc})")


def _read(handle, path: Path, label: str) -> CsvReadResult:
    reader = csv.reader(handle)
    header = next((row for row in reader if any(cell.strip() for cell in row)), None)
    if header is None:
        raise InvalidParameter(f"{path}: the file is empty (expected a header such as '{YAHOO_HEADER}')")
    layout = detect_layout(header, label=str(path))
    result = CsvReadResult(path=path, layout=layout)
    columns = layout.columns
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        where = f"{label} line {reader.line_num}"
        if len(row) < layout.width:
            first = row[columns["timestamp"]].strip() if len(row) > columns["timestamp"] else ""
            result.rejections.append(
                (where + (f" ({first})" if first else ""), f"expected {layout.width} fields, found {len(row)}")
            )
            continue
        values = {name: row[position].strip() for name, position in columns.items()}
        result.bars.append(RawBar(where=where, **values))
    return result


class CsvFileSource(MarketDataSource):
    """One CSV file as a source (the ``import_market_data`` command uses ``read_csv_bars`` directly
    so that it can report layout problems per line)."""

    name = "csv"
    label = "CSV file"
    remote = False

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)

    def fetch_bars(self, symbol: str, timeframe: str, start: date, end: date) -> list[RawBar]:
        result = read_csv_bars(self.path)
        low, high = start.isoformat(), end.isoformat()

        def in_range(bar: RawBar) -> bool:
            # ISO dates compare as text; rows with another timestamp format are kept and judged later.
            text = str(bar.timestamp)[:10]
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                return low <= text <= high
            return True

        return [bar for bar in result.bars if in_range(bar)]
