"""Constrained types for what clients send: every value fits the column it lands in.

PostgreSQL refuses NUL in text and has narrower integers and dates than Python; without these
bounds such input reached the database and answered 500 (README "Security").
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, Field, StringConstraints
from pydantic_core import PydanticCustomError

INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
# Dates a household's plays, keys and reports can sensibly carry; far enough from year 1 and
# 9999 that time-zone shifts and window arithmetic never leave Python's or PostgreSQL's range.
EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(2999, 12, 31, tzinfo=UTC)
_NO_NUL = r"^[^\x00]*$"


def _sane_datetime(value: datetime) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    try:
        in_range = EARLIEST <= aware.astimezone(UTC) <= LATEST
    except OverflowError:  # e.g. 9999-12-31T23:00-05:00 is past year 9999 in UTC
        in_range = False
    if not in_range:
        raise PydanticCustomError(
            "datetime_out_of_range",
            "must be a date between {min} and {max}",
            {"min": EARLIEST.date().isoformat(), "max": LATEST.date().isoformat()},
        )
    return aware


# A string without NUL. A pattern, not a validator function, so that length limits added
# around it stay plain string constraints (with their own translated messages), and the
# document tells clients and the fuzzer the same.
Text = Annotated[str, StringConstraints(pattern=_NO_NUL)]
# A moment between 1900 and 2999; a value without a zone is read as UTC.
SaneDatetime = Annotated[datetime, AfterValidator(_sane_datetime)]
# The same, where the client must say its time zone.
SaneAwareDatetime = Annotated[AwareDatetime, AfterValidator(_sane_datetime)]
# A calendar day between 1900 and 2999 (report and statistics windows).
SaneDate = Annotated[
    date,
    AfterValidator(
        lambda value: _sane_datetime(
            datetime(value.year, value.month, value.day, tzinfo=UTC)
        ).date()
    ),
]
# Integers that fit PostgreSQL's ``integer`` / ``bigint``.
Int32 = Annotated[int, Field(ge=-(2**31), le=INT32_MAX)]
NonNegativeInt32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
NonNegativeInt64 = Annotated[int, Field(ge=0, le=INT64_MAX)]


def text_query(**kwargs: Any) -> Any:
    """``Query(...)`` for a free-text parameter (search): bounded, no NUL."""
    from fastapi import Query

    kwargs.setdefault("max_length", 200)
    return Query(pattern=_NO_NUL, **kwargs)
