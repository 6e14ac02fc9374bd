"""The bounded Jinja sandbox for user-written payload templates.

Jinja's sandbox keeps a template from reaching Python; it does nothing about what a template
costs. ``BoundedEnvironment`` counts work against a step budget (every loop iteration, call and
filter, filters weighted by the size of their input), caps ``range()``, refuses ``+ * **``
results beyond a size, and ``render_bounded`` cuts the output off at a byte limit while it is
produced. These give a clear reason for the usual ways a template gets expensive; what the
counting misses (a slow C-level operation, a value grown in memory) is bounded by rendering in
a child process (renderer.py).

The renderer's child process imports this module: it imports only the standard library and
Jinja.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache, wraps
from typing import Any, ClassVar

from jinja2 import Template, TemplateError, nodes
from jinja2.runtime import Context, LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

_MAX_REASON = 300
NEEDS_TOO_MUCH_MEMORY = "the template needs too much memory"


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


class LimitExceeded(SecurityError):
    """Raised inside the sandbox when a template breaks a bound."""


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

    No time or memory limit here: ``renderer.TemplateRenderer`` runs this in a child process
    for those.
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
        raise TemplateTooCostly(NEEDS_TOO_MUCH_MEMORY) from None
    except RecursionError:
        raise TemplateTooCostly("the template nests or recurses too deeply") from None
    except Exception as exc:  # a template can raise almost anything while rendering
        raise TemplateInvalid(_describe(exc)) from None
    finally:
        _budget.reset(token)
