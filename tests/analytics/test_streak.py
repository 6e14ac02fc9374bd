"""The current streak: consecutive local days with a play, ending today, or yesterday while
today has no play yet; any gap ends it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from revenge.core.clock import utcnow
from tests.analytics.conftest import add_session, make_catalogue


@pytest.mark.parametrize(
    ("days_ago", "streak"),
    [
        ([0, 1, 2, 4, 5, 6, 7], 3),  # today and the two days before; the gap on day 3 ends it
        ([1, 2, 3, 4], 4),  # today not yet played: the streak ending yesterday still counts
        ([0], 1),
        ([2, 3], 0),  # neither today nor yesterday
        ([], 0),
    ],
)
async def test_streak(make_user, jobs, client, days_ago, streak):
    cat = await make_catalogue()
    kind, media_id, duration = next(i for i in cat.items if i[0] == "movie")
    zone = "Pacific/Kiritimati"  # UTC+14: local days differ from UTC days
    user, headers = await make_user(timezone=zone)
    today = utcnow().astimezone(ZoneInfo(zone)).date()
    for n in days_ago:
        day = today - timedelta(days=n)
        # 00:05 local time on that day (today: a minute ago if it is just after midnight)
        started = min(
            datetime(day.year, day.month, day.day, 0, 5, tzinfo=ZoneInfo(zone)),
            utcnow() - timedelta(minutes=1),
        )
        await add_session(user.id, kind, media_id, duration, started, duration)
    await jobs.run()
    body = (await client.get("/api/v1/users/me/stats", headers=headers)).json()
    assert body["current_streak_days"] == streak
