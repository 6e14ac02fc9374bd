"""Rendering bounded templates in child processes, under a memory and a time limit.

The sandbox (sandbox.py) counts the usual ways a template gets expensive. What the counting
misses (a slow C-level operation, a value grown in memory) is stopped here: each render runs in
a child process (running ``_serve``) under a memory limit and a time limit: an alarm in the
child interrupts Python-level work, and the parent kills the child when even that does not
answer. A killed child is replaced on next use.

The child imports this module: at the top it imports only the standard library and the
sandbox (anyio is imported inside the parent-side methods that need it).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import selectors
import signal
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict
from functools import partial
from queue import Empty, Queue
from typing import IO, Any

from revenge.notifications.channels.sandbox import (
    NEEDS_TOO_MUCH_MEMORY,
    TemplateInvalid,
    TemplateLimits,
    TemplateRejected,
    TemplateTooCostly,
    render_bounded,
)

_MODULE = "revenge.notifications.channels.renderer"
_HEADER = struct.Struct(">I")


class RendererUnavailable(Exception):
    """No renderer process could take the work in time. Not the template's fault."""


class _TimeUp(BaseException):
    """Raised by the child's alarm; a BaseException so nothing on the way swallows it."""


def _write_frame(stream: IO[bytes], message: dict[str, Any]) -> None:
    body = json.dumps(message, default=str).encode()
    view = memoryview(_HEADER.pack(len(body)) + body)
    while view:  # a raw pipe may take less than asked
        written = stream.write(view)
        view = view[written or 0 :]
    stream.flush()


def _read_frame(stream: IO[bytes]) -> dict[str, Any] | None:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    body = stream.read(size)
    if len(body) < size:
        return None
    message: dict[str, Any] = json.loads(body)
    return message


def _on_alarm(signum: int, frame: Any) -> None:
    raise _TimeUp


def _serve(memory_limit: int) -> None:
    requests, replies = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write into the reply stream
    if memory_limit > 0:
        import resource

        # Not permitted everywhere; the time limit holds regardless.
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    signal.signal(signal.SIGALRM, _on_alarm)
    _write_frame(replies, {"ready": True})
    while (request := _read_frame(requests)) is not None:
        limits = TemplateLimits(**request["limits"])
        reply: dict[str, Any]
        try:
            signal.setitimer(signal.ITIMER_REAL, limits.time_limit)
            try:
                output = render_bounded(request["template"], request["variables"], limits)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
            reply = {"ok": True, "output": output}
        except TemplateRejected as exc:
            reply = {
                "ok": False,
                "too_costly": exc.too_costly,
                "reason": exc.reason,
                # After a MemoryError the process is better replaced than trusted.
                "recycle": exc.reason == NEEDS_TOO_MUCH_MEMORY,
            }
        except _TimeUp:  # one-shot timer: it cannot fire again
            reply = {"ok": False, "too_costly": True, "reason": _too_slow(limits)}
        _write_frame(replies, reply)


def _too_slow(limits: TemplateLimits) -> str:
    return f"rendering takes longer than {limits.time_limit:g} s"


# --- the parent side ----------------------------------------------------------------------------


class _Timeout(Exception):
    pass


class _Died(Exception):
    pass


class _RendererProcess:
    """One child; used by one thread at a time (``TemplateRenderer`` hands them out)."""

    def __init__(self, memory_limit: int, start_timeout: float) -> None:
        self.memory_limit = memory_limit
        self.start_timeout = start_timeout
        self._proc: subprocess.Popen[bytes] | None = None
        self._selector: selectors.BaseSelector | None = None

    def _start(self) -> None:
        limit = int(self.memory_limit)
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            # -c, not -m: code run as __main__ renders markedly slower (measured ~1.7x).
            [sys.executable, "-P", "-c", f"from {_MODULE} import _serve; _serve({limit})"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            close_fds=True,
            # Templates need none of the server's settings (its secrets among them).
            env={k: v for k, v in os.environ.items() if not k.startswith("REVENGE_")},
        )
        assert proc.stdout is not None
        selector = selectors.DefaultSelector()  # not select(): server fds can pass 1024
        selector.register(proc.stdout, selectors.EVENT_READ)
        self._proc, self._selector = proc, selector
        try:
            ready = self._receive(time.monotonic() + self.start_timeout)
        except (_Timeout, _Died):
            ready = {}
        if not ready.get("ready"):
            self.stop()
            raise RendererUnavailable("the template renderer did not start")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if self._selector is not None:
            self._selector.close()
            self._selector = None
        if proc is not None:
            proc.kill()
            proc.wait()
            for stream in (proc.stdin, proc.stdout):
                if stream is not None:
                    stream.close()

    def _send(self, message: dict[str, Any]) -> None:
        assert self._proc is not None and self._proc.stdin is not None
        _write_frame(self._proc.stdin, message)

    def _read_exactly(self, size: int, deadline: float) -> bytes:
        assert self._proc is not None and self._proc.stdout is not None
        assert self._selector is not None
        fd = self._proc.stdout.fileno()
        data = bytearray()
        while len(data) < size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _Timeout
            if not self._selector.select(remaining):
                continue
            chunk = os.read(fd, size - len(data))
            if not chunk:
                raise _Died
            data += chunk
        return bytes(data)

    def _receive(self, deadline: float) -> dict[str, Any]:
        (size,) = _HEADER.unpack(self._read_exactly(_HEADER.size, deadline))
        message: dict[str, Any] = json.loads(self._read_exactly(size, deadline))
        return message

    def render(self, request: dict[str, Any], limits: TemplateLimits, grace: float) -> str:
        for attempt in (1, 2):
            if self._proc is None or self._proc.poll() is not None:
                self.stop()
                self._start()
            try:
                self._send(request)
                break
            except OSError:  # it died while idle: start another once
                self.stop()
                if attempt == 2:
                    raise RendererUnavailable("the template renderer stopped") from None
        try:
            reply = self._receive(time.monotonic() + limits.time_limit + grace)
        except _Timeout:  # stuck in C code the alarm cannot interrupt
            self.stop()
            raise TemplateTooCostly(_too_slow(limits)) from None
        except _Died:  # killed by the memory limit
            self.stop()
            raise TemplateTooCostly(NEEDS_TOO_MUCH_MEMORY) from None
        if reply.get("recycle"):
            self.stop()
        if reply["ok"]:
            output: str = reply["output"]
            return output
        raise (TemplateTooCostly if reply["too_costly"] else TemplateInvalid)(reply["reason"])


class TemplateRenderer:
    """A small pool of renderer processes, started on first use. Thread-safe; ``render``
    blocks its thread (at most the time limit plus ``grace`` once a process is free),
    ``render_async`` runs it in a worker thread so the event loop keeps going."""

    def __init__(
        self,
        *,
        processes: int = 1,
        memory_limit: int = 256 * 1024 * 1024,
        grace: float = 0.5,
        wait_limit: float = 30.0,
        start_timeout: float = 30.0,
    ) -> None:
        from anyio.lowlevel import RunVar

        self.grace = grace
        self.wait_limit = wait_limit
        self._settings = (processes, memory_limit, start_timeout)
        self._limiter: RunVar[Any] = RunVar(f"template_renderer_{id(self)}")
        self._reset()

    def _reset(self) -> None:
        processes, memory_limit, start_timeout = self._settings
        self._all = [_RendererProcess(memory_limit, start_timeout) for _ in range(processes)]
        self._idle: Queue[_RendererProcess] = Queue()
        for process in self._all:
            self._idle.put(process)
        self._lock = threading.Lock()

    def render(
        self, source: str, variables: Mapping[str, Any], limits: TemplateLimits | None = None
    ) -> str:
        """The rendered text, or ``TemplateInvalid`` / ``TemplateTooCostly`` /
        ``RendererUnavailable``."""
        limits = limits or TemplateLimits()
        request = {"template": source, "variables": dict(variables), "limits": asdict(limits)}
        try:
            process = self._idle.get(timeout=self.wait_limit)
        except Empty:
            raise RendererUnavailable("all template renderers are busy") from None
        try:
            return process.render(request, limits, self.grace)
        finally:
            self._idle.put(process)

    async def render_async(
        self, source: str, variables: Mapping[str, Any], limits: TemplateLimits | None = None
    ) -> str:
        import anyio
        import anyio.to_thread

        # Callers wait here, not in threads of the shared pool that FastAPI needs too.
        try:
            limiter = self._limiter.get()
        except LookupError:
            limiter = anyio.CapacityLimiter(len(self._all))
            self._limiter.set(limiter)
        return await anyio.to_thread.run_sync(
            partial(self.render, source, variables, limits), limiter=limiter
        )

    def close(self) -> None:
        """Stop the processes (a render in progress fails)."""
        with self._lock:
            for process in self._all:
                process.stop()


def shared_renderer(processes: int, *, wait_limit: float = 30.0) -> TemplateRenderer:
    """A renderer that lives as long as the process (its children stop with it)."""
    renderer = TemplateRenderer(processes=processes, wait_limit=wait_limit)
    atexit.register(renderer.close)
    # A forked copy of this process must not talk to its parent's children.
    os.register_at_fork(after_in_child=renderer._reset)
    return renderer
