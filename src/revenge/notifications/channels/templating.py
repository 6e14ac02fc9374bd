"""Bounded rendering of user-written payload templates.

Jinja's sandbox keeps a template from reaching Python; it does nothing about what a template
costs. Two layers bound that:

* ``BoundedEnvironment`` counts work against a step budget (every loop iteration, call and
  filter, filters weighted by the size of their input), caps ``range()``, refuses ``+ * **``
  results beyond a size, and the output is cut off at a byte limit while it is produced. These
  give a clear reason for the usual ways a template gets expensive.
* What the counting misses (a slow C-level operation, a value grown in memory) is stopped by
  rendering in a child process (running ``_serve``) under a memory limit and a time
  limit: an alarm in the child interrupts Python-level work, and the parent kills the child when
  even that does not answer. A killed child is replaced on next use.

The child imports this module: at the top it imports only the standard library and Jinja
(anyio is imported inside the parent-side methods that need it).
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
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import asdict, dataclass
from functools import lru_cache, partial, wraps
from queue import Empty, Queue
from typing import IO, Any, ClassVar

from jinja2 import Template, TemplateError, nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

_MODULE = "revenge.notifications.channels.templating"
_HEADER = struct.Struct(">I")
_MAX_REASON = 300
_NEEDS_TOO_MUCH_MEMORY = "the template needs too much memory"


@dataclass(frozen=True)
class TemplateLimits:
    max_range: int = 10_000
    # Loop iterations + calls + filter work; a template looping over a notification's data
    # uses a few hundred.
    max_steps: int = 100_000
    max_output_bytes: int = 64 * 1024
    # Longest string/list that ``+`` and ``*`` may build (intermediate values, not the output).
    max_value_length: int = 256 * 1024
    max_int_bits: int = 64 * 1024
    time_limit: float = 1.0


class TemplateRejected(Exception):
    """The template cannot be rendered; ``reason`` says why, in words its author can act on."""

    too_costly: ClassVar[bool] = False

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TemplateInvalid(TemplateRejected):
    """Syntax errors and errors while rendering (undefined names, wrong types, unsafe access)."""


class TemplateTooCostly(TemplateRejected):
    """The template breaks a bound: steps, range, value size, output size, memory or time."""

    too_costly = True


class RendererUnavailable(Exception):
    """No renderer process could take the work in time. Not the template's fault."""


class LimitExceeded(SecurityError):
    """Raised inside the sandbox when a template breaks a bound."""


# --- the bounded sandbox ------------------------------------------------------------------------


class _Budget:
    __slots__ = ("limits", "steps")

    def __init__(self, limits: TemplateLimits) -> None:
        self.limits = limits
        self.steps = 0


_budget: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _current() -> _Budget:
    budget = _budget.get()
    if budget is None:  # a bounded template must never run unbounded by accident
        raise RuntimeError("BoundedEnvironment used outside render_bounded()")
    return budget


def _charge(steps: int) -> None:
    budget = _current()
    budget.steps += steps
    if budget.steps > budget.limits.max_steps:
        raise LimitExceeded(
            f"the template does more than {budget.limits.max_steps} steps "
            "(loop iterations, calls and filter work)"
        )


class _Counted:
    """What a ``{% for %}`` iterates: the original iterable, one step charged per item."""

    __slots__ = ("_iterable",)

    def __init__(self, iterable: Any) -> None:
        self._iterable = iterable

    def __len__(self) -> int:  # keeps loop.length/loop.last cheap; TypeError when unsized
        return len(self._iterable)

    def __iter__(self) -> Iterator[Any]:
        for item in self._iterable:
            _charge(1)
            yield item


# A name templates cannot write (":" is not allowed in a filter name).
_COUNTED_FILTER = "revenge:counted"
_SIZED = (str, bytes, list, tuple, dict, set, frozenset, range)


def _charged(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter that charges 1 step plus the length of its input."""
    # Filters marked pass_context/pass_eval_context/pass_environment get that object first.
    value_at = 1 if getattr(func, "jinja_pass_arg", None) is not None else 0

    @wraps(func)  # copies jinja_pass_arg too
    def charged(*args: Any, **kwargs: Any) -> Any:
        value = args[value_at] if len(args) > value_at else None
        _charge(1 + (len(value) if isinstance(value, _SIZED) else 0))
        return func(*args, **kwargs)

    return charged


def _bounded_range(*args: int) -> range:
    numbers = range(*args)
    limit = _current().limits.max_range
    try:
        too_long = len(numbers) > limit
    except OverflowError:  # longer than sys.maxsize
        too_long = True
    if too_long:
        raise LimitExceeded(f"range() is limited to {limit} items")
    return numbers


def _length(value: Any) -> int | None:
    return len(value) if isinstance(value, str | bytes | list | tuple) else None


def _check_binop(operator: str, left: Any, right: Any) -> None:
    limits = _current().limits
    if isinstance(left, int) and isinstance(right, int):
        if operator == "**" and right > 0 and abs(left) > 1:
            bits = abs(left).bit_length() * right
        elif operator == "*":
            bits = left.bit_length() + right.bit_length()
        else:
            return
        if bits > limits.max_int_bits:
            raise LimitExceeded(f"numbers are limited to {limits.max_int_bits} bits")
        return
    if operator == "*":
        size, times = (_length(left), right) if isinstance(right, int) else (_length(right), left)
        length = size * times if size is not None and isinstance(times, int) else 0
    elif operator == "+":
        sizes = (_length(left), _length(right))
        length = sizes[0] + sizes[1] if sizes[0] is not None and sizes[1] is not None else 0
    else:
        return
    if length > limits.max_value_length:
        raise LimitExceeded(f"values are limited to {limits.max_value_length} characters or items")


class BoundedEnvironment(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the bounds of the current ``_Budget`` applied."""

    intercepted_binops = frozenset({"+", "*", "**"})

    def __init__(self) -> None:
        super().__init__(autoescape=False)
        self.filters = {name: _charged(f) for name, f in self.filters.items()}
        self.filters[_COUNTED_FILTER] = _Counted
        self.globals["range"] = _bounded_range
        # lipsum(n) writes n paragraphs: unbounded output from one call.
        self.globals.pop("lipsum", None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        tree = super()._parse(source, name, filename)
        # Every {% for %} iterates through _Counted; the compiled loop has no other hook.
        for loop in tree.find_all(nodes.For):
            loop.iter = nodes.Filter(
                loop.iter, _COUNTED_FILTER, [], [], None, None, lineno=loop.iter.lineno
            )
        tree.set_environment(self)
        return tree

    def call(
        self, context: Context, obj: Any, /, *args: Any, **kwargs: Any
    ) -> Any:  # every call in a template (functions, methods, macros, caller(), loop())
        _charge(1)
        if isinstance(obj, LoopContext) and args:  # loop(children) in a recursive loop
            args = (_Counted(args[0]), *args[1:])
        return super().call(context, obj, *args, **kwargs)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _check_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)


@lru_cache(maxsize=1)
def _environment() -> BoundedEnvironment:
    return BoundedEnvironment()


@lru_cache(maxsize=128)
def _compiled(source: str) -> Template:
    return _environment().from_string(source)


def _describe(exc: BaseException) -> str:
    text = str(exc) if isinstance(exc, TemplateError) else f"{type(exc).__name__}: {exc}"
    return text[:_MAX_REASON]


def render_bounded(source: str, variables: Mapping[str, Any], limits: TemplateLimits) -> str:
    """Compile and render in this process under the step, size and output bounds.

    No time or memory limit here: ``TemplateRenderer`` runs this in a child process for those.
    """
    token = _budget.set(_Budget(limits))
    try:
        # Compiling runs user code too (constant folding calls filters), so it is inside.
        template = _compiled(source)
        parts: list[str] = []
        size = 0
        for chunk in template.generate(**variables):
            size += len(chunk.encode("utf-8", "surrogatepass"))
            if size > limits.max_output_bytes:
                raise TemplateTooCostly(
                    f"the output is larger than {limits.max_output_bytes} bytes"
                )
            parts.append(chunk)
        return "".join(parts)
    except TemplateRejected:
        raise
    except LimitExceeded as exc:
        raise TemplateTooCostly(str(exc)) from None
    except MemoryError:
        raise TemplateTooCostly(_NEEDS_TOO_MUCH_MEMORY) from None
    except RecursionError:
        raise TemplateTooCostly("the template nests or recurses too deeply") from None
    except Exception as exc:  # a template can raise almost anything while rendering
        raise TemplateInvalid(_describe(exc)) from None
    finally:
        _budget.reset(token)


# --- the child process ------------------------------------------------------------------------


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
                "recycle": exc.reason == _NEEDS_TOO_MUCH_MEMORY,
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
            raise TemplateTooCostly(_NEEDS_TOO_MUCH_MEMORY) from None
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
