"""Range headers a client can send: absurdly long or non-ASCII positions are malformed ranges
(416, like any other malformed bytes range), never a server error. The HTTP side of it, for
each route that streams, lives with that route (share links, playback)."""

from __future__ import annotations

import pytest

from revenge.core.http_ranges import ByteRange, UnsatisfiableRange, parse_range

SIZE = 10_000

MALFORMED = {
    "5000-digit end": "bytes=0-" + "9" * 5000,
    "5000-digit start": "bytes=" + "1" * 5000 + "-",
    "5000-digit suffix": "bytes=-" + "9" * 5000,
    "5000 zeros": "bytes=" + "0" * 5000 + "-",
    "20-digit start": "bytes=" + "0" * 19 + "1-",
    "superscript two": "bytes=\u00b2-",
    "superscript end": "bytes=0-\u00b9\u00b3",
    "superscript suffix": "bytes=-\u00b3",
    "arabic-indic digits": "bytes=\u0661\u0662\u0663-",
    "fullwidth digits": "bytes=\uff10-\uff19",
    "devanagari suffix": "bytes=-\u0967\u0966",
    "sign": "bytes=+1-2",
    "underscore": "bytes=1_000-2_000",
    "no dash": "bytes=100",
    "two dashes": "bytes=1-2-3",
}


@pytest.mark.parametrize("header", MALFORMED.values(), ids=MALFORMED.keys())
def test_parse_range_refuses_long_and_non_ascii_positions(header):
    with pytest.raises(UnsatisfiableRange):
        parse_range(header, SIZE)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99)),
        ("bytes=9000-", ByteRange(9000, SIZE - 1)),
        ("bytes=-500", ByteRange(SIZE - 500, SIZE - 1)),
        ("bytes=9990-20000", ByteRange(9990, SIZE - 1)),
        ("bytes=0-" + "9" * 19, ByteRange(0, SIZE - 1)),  # 19 digits: still a position
        ("bytes=-" + "9" * 19, ByteRange(0, SIZE - 1)),
        ("bytes=0000000000000000010-0000000000000000019", ByteRange(10, 19)),
        (" bytes = 10 - 19 ", ByteRange(10, 19)),
        ("BYTES=10-19", ByteRange(10, 19)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        (None, None),
    ],
)
def test_parse_range_valid_cases_unchanged(header, expected):
    assert parse_range(header, SIZE) == expected


def test_nineteen_digit_start_is_past_the_end():
    with pytest.raises(UnsatisfiableRange):
        parse_range("bytes=" + "9" * 19 + "-", SIZE)
