"""Webhook payload templates are bounded: refused at save time with a clear 422, rendered off
the event loop with a time limit at send time, and a template that breaks a bound there fails
its delivery with the reason."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from revenge.core.config import Settings
from revenge.notifications.channels.renderer import TemplateRenderer
from revenge.notifications.channels.sandbox import (
    TemplateInvalid,
    TemplateLimits,
    TemplateTooCostly,
    render_bounded,
)
from revenge.notifications.channels.webhook import new_secret, seal_secret
from revenge.notifications.models import NotificationChannel, NotificationDelivery
from tests.notifications.conftest import send_notification

# Nothing here may hang: a template that freezes its renderer fails the test instead.
pytestmark = pytest.mark.timeout(60)

BASE = "/api/v1/users/me"
# Only the time limit stops these (the counted bounds are lifted), to test that limit itself.
ONLY_TIME_LIMITED = TemplateLimits(max_steps=10**15, max_range=10**15, time_limit=0.3)
# builtins.sum() over a range: one C call that never checks for signals, so the alarm inside
# the child cannot stop it; only killing the child does.
STUCK_IN_C = "{{ range(10**11)|sum }}"


@pytest.fixture
def renderer() -> Iterator[TemplateRenderer]:
    own = TemplateRenderer(processes=1, grace=0.2)
    try:
        yield own
    finally:
        own.close()


async def _create(client, headers, url, template):
    return await client.post(
        f"{BASE}/notification-channels",
        headers=headers,
        json={"channel_type": "webhook", "name": "hook", "url": url, "payload_template": template},
    )


# --- save time ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "reasons"),
    [
        # The two templates from the report: 6.6 s of frozen server, and a 500.
        (
            "{% for a in range(100000) %}{% for b in range(2000) %}{% endfor %}{% endfor %}",
            ["range() is limited to 10000 items"],
        ),
        ("{{ range(10**9)|list }}", ["range() is limited to 10000 items"]),
        # Nesting within the range cap, which never finished before.
        (
            "{% for a in range(10000) %}{% for b in range(10000) %}{% for c in range(10000) %}"
            "{% endfor %}{% endfor %}{% endfor %}",
            ["more than 100000 steps"],
        ),
        # Exponential work without any loop. Macro calls are slow steps: on a busy machine
        # the time limit may come first.
        (
            "{% macro f(n) %}{% if n %}{{ f(n - 1) }}{{ f(n - 1) }}{% endif %}{% endmacro %}"
            "{{ f(60) }}",
            ["more than 100000 steps", "longer than 1 s"],
        ),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", ["recurses too deeply"]),
        ('{% for i in range(5000) %}{{ "x" * 100 }}{% endfor %}', ["larger than 65536 bytes"]),
        ('{{ "x" * 10**9 }}', ["values are limited to 262144"]),
        ("{{ 9 ** (9 ** 9) }}", ["numbers are limited to 65536 bits"]),
        # A string doubled 60 times: only the child's memory (or time) limit stops it.
        (
            '{% set ns = namespace(s="ab") %}{% for i in range(60) %}'
            "{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}",
            ["needs too much memory", "longer than 1 s"],
        ),
    ],
)
async def test_costly_template_refused_at_save(client, make_user, receiver, template, reasons):
    _, url = receiver
    _, headers = await make_user()
    response = await _create(client, headers, f"{url}/hooks/c", template)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "notifications.template_too_costly"
    assert any(reason in problem["params"]["reason"] for reason in reasons), problem
    # Nothing was saved.
    assert (await client.get(f"{BASE}/notification-channels", headers=headers)).json() == []


@pytest.mark.parametrize(
    ("template", "reason"),
    [
        ('{{ 1 + "a" }}', "TypeError"),  # answered 500 before
        ('{{ "".__class__.__mro__ }}', "unsafe"),
        ("{% set l = [] %}{{ l.append(1) }}", "unsafe"),  # no growing values in place
        ("{{ x(", "end of template"),
    ],
)
async def test_broken_template_refused_at_save(client, make_user, receiver, template, reason):
    _, url = receiver
    _, headers = await make_user()
    response = await _create(client, headers, f"{url}/hooks/b", template)
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "notifications.invalid_template"
    assert reason in problem["params"]["reason"]


async def test_costly_template_refused_on_update_and_old_one_kept(client, make_user, receiver):
    _, url = receiver
    _, headers = await make_user()
    created = await _create(client, headers, f"{url}/hooks/u", '{"who": "{{ user }}"}')
    assert created.status_code == 201, created.text
    channel_id = created.json()["id"]
    response = await client.patch(
        f"{BASE}/notification-channels/{channel_id}",
        headers=headers,
        json={"payload_template": "{{ range(10**9)|list }}"},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "notifications.template_too_costly"
    stored = (
        await client.get(f"{BASE}/notification-channels/{channel_id}", headers=headers)
    ).json()
    assert stored["payload_template"] == '{"who": "{{ user }}"}'


# --- the renderer -------------------------------------------------------------------------------


def test_output_cap_counts_bytes():
    limits = TemplateLimits()
    assert len(render_bounded('{{ "x" * n }}', {"n": 65536}, limits)) == 65536
    with pytest.raises(TemplateTooCostly, match="larger than 65536 bytes"):
        render_bounded('{{ "x" * n }}', {"n": 65537}, limits)
    # Two bytes per "é" in UTF-8: half as many characters fit.
    assert len(render_bounded('{{ "é" * n }}', {"n": 32768}, limits)) == 32768
    with pytest.raises(TemplateTooCostly):
        render_bounded('{{ "é" * n }}', {"n": 32769}, limits)


def test_loops_still_work_and_are_counted():
    template = "{% for k, v in data|dictsort %}{{ k }}={{ v }}{% if not loop.last %},{% endif %}{% endfor %}"
    assert render_bounded(template, {"data": {"b": 2, "a": 1}}, TemplateLimits()) == "a=1,b=2"
    loop = "{% for i in items %}.{% endfor %}"
    assert (
        render_bounded(loop, {"items": list(range(10))}, TemplateLimits(max_steps=20)) == "." * 10
    )
    with pytest.raises(TemplateTooCostly, match="more than 20 steps"):
        render_bounded(loop, {"items": list(range(30))}, TemplateLimits(max_steps=20))


def test_endless_python_loop_stopped_by_the_time_limit(renderer):
    nested = "{% for a in range(10**6) %}{% for b in range(10**6) %}{% endfor %}{% endfor %}"
    with pytest.raises(TemplateTooCostly, match=r"longer than 0\.3 s"):
        renderer.render(nested, {}, ONLY_TIME_LIMITED)
    assert renderer.render("{{ 6 * 7 }}", {}) == "42"


def test_renderer_stuck_in_c_code_is_killed_and_replaced(renderer):
    with pytest.raises(TemplateTooCostly, match=r"longer than 0\.3 s"):
        renderer.render(STUCK_IN_C, {}, ONLY_TIME_LIMITED)
    # A new process took over.
    assert renderer.render("{{ who }}", {"who": "next"}) == "next"
    with pytest.raises(TemplateInvalid):
        renderer.render("{% if %}", {})


async def test_rendering_leaves_the_event_loop_free(renderer):
    rendering = asyncio.ensure_future(renderer.render_async(STUCK_IN_C, {}, ONLY_TIME_LIMITED))
    ticks_while_rendering = 0
    while not rendering.done():
        ticks_while_rendering += 1
        await asyncio.sleep(0.01)
    with pytest.raises(TemplateTooCostly):
        await rendering
    # The loop kept running while the child was busy (rendering on the loop gives 1 tick at most).
    assert ticks_while_rendering > 2


# --- send time ----------------------------------------------------------------------------------

# Cheap on the sample event used at save time (rounds = 1), too costly with the real data.
DATA_DEPENDENT = (
    "{% for i in range(data.rounds|default(1)) %}{% for j in range(10000) %}{% endfor %}"
    '{% endfor %}{"ok": true}'
)


async def test_template_too_costly_at_send_time_fails_that_delivery(
    client, make_user, jobs, receiver, session
):
    fake, url = receiver
    user, headers = await make_user()
    costly = await _create(client, headers, f"{url}/hooks/costly", DATA_DEPENDENT)
    assert costly.status_code == 201, costly.text
    fine = await _create(client, headers, f"{url}/hooks/fine", '{"title": {{ title|tojson }}}')
    assert fine.status_code == 201, fine.text
    fake.secrets["/hooks/fine"] = fine.json()["secret"]

    await send_notification(user.id, "request_approved", {"title": "Dune", "rounds": 50})
    await jobs.run("notifications.webhook_send")

    deliveries = {
        d.target_key: d
        for d in (
            await session.scalars(
                select(NotificationDelivery).where(NotificationDelivery.channel == "webhook")
            )
        ).all()
    }
    failed = deliveries[costly.json()["id"]]
    assert failed.status == "failed"
    assert failed.last_error.startswith("payload template too costly:")
    assert "more than 100000 steps" in failed.last_error
    # The other endpoint got its payload; the costly one got nothing.
    assert deliveries[fine.json()["id"]].status == "sent"
    assert [json.loads(r["body"]) for r in fake.received] == [{"title": "Request approved: Dune"}]
    # Its owner sees the failure on the channel.
    shown = (
        await client.get(f"{BASE}/notification-channels/{costly.json()['id']}", headers=headers)
    ).json()
    assert shown["consecutive_failures"] == 1 and shown["last_failure_at"] is not None


async def test_template_saved_before_the_bounds_fails_at_send_time(
    make_user, jobs, receiver, session, settings: Settings
):
    fake, url = receiver
    user, _ = await make_user()
    # Saved by an older version that did not check: the report's template, as stored.
    channel = NotificationChannel(
        user_id=user.id,
        channel_type="webhook",
        name="old",
        enabled=True,
        config={
            "url": f"{url}/hooks/old",
            "payload_template": "{% for a in range(100000) %}{% for b in range(2000) %}"
            "{% endfor %}{% endfor %}",
            "secret_encrypted": seal_secret(settings, new_secret()),
        },
    )
    session.add(channel)
    await session.flush()

    await send_notification(user.id, "request_approved", {"title": "Dune"})
    await jobs.run("notifications.webhook_send")

    delivery = (
        await session.scalars(
            select(NotificationDelivery).where(NotificationDelivery.channel == "webhook")
        )
    ).one()
    assert delivery.status == "failed"
    assert delivery.last_error == ("payload template too costly: range() is limited to 10000 items")
    assert fake.received == []
