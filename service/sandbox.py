"""Jinja's sandbox, bounded in work and in size, for the templates clinic staff write.

`ImmutableSandboxedEnvironment` stops attribute escapes, not work: `range(100001)`
raises an OverflowError, `'x' * 10**9` allocates a gigabyte, `9 ** 9 ** 9` never ends,
two loops over 100,000 items run for minutes, `format_map` raises a TypeError. Here:

- every loop step, call, filter and intercepted operator counts against a budget of
  MAX_STEPS per render (deterministic), with a wall-clock stop at MAX_SECONDS as a net;
- what can make a large value from a small one is checked *before* it runs (`*`, `**`,
  `join`, `replace`, widths and counts), and every value made is at most MAX_SIZE long;
- `str.format`, `format_map`, `%` formatting, the `format` filter and `lipsum` are
  refused: a template writes `{{ first_name }}` in place;
- the output stops at MAX_SIZE characters (an SMS is at most 1,600, an email a few KB).

A thread cannot be killed, so nothing here depends on one: the checks run inside the
render, between bounded steps. Every refusal is a `RenderLimit`, a Jinja TemplateError.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from jinja2 import Template, Undefined, nodes
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_SOURCE = 10_000  # characters of template
MAX_SIZE = 10_000  # characters (or items) of any value made while rendering, and of the output
MAX_STEPS = 10_000  # loop iterations, calls, filters and operators in one render
MAX_RANGE = 1_000
MAX_WIDTH = 200  # indent and tojson indent: multiplied by the number of lines
MAX_INT_BITS = 1_024
MAX_SECONDS = 2.0
REFUSED_STR_METHODS = frozenset({"format", "format_map", "expandtabs", "translate", "maketrans"})
REFUSED_FILTERS = frozenset({"format"})
NO_FORMATTING = "write the variable in place instead, e.g. {{ first_name }}"


class RenderLimit(SecurityError):
    """A template asked for more work or a larger value than a message needs."""


@dataclass
class _Budget:
    deadline: float
    steps: int = 0


_budget: ContextVar[_Budget | None] = ContextVar("render_budget", default=None)


def _step() -> None:
    budget = _budget.get()
    if budget is None:
        return
    budget.steps += 1
    if budget.steps > MAX_STEPS:
        raise RenderLimit(f"the template takes more than {MAX_STEPS:,} steps (loop turns, calls, filters); a message needs few")
    if budget.steps % 64 == 0 and time.monotonic() > budget.deadline:
        raise RenderLimit(f"the template took more than {MAX_SECONDS:g} s to render")


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set | frozenset) else 0


def _sized(value: Any) -> Any:
    if _length(value) > MAX_SIZE:
        raise RenderLimit(f"the template makes a value of {_length(value):,} characters or items (at most {MAX_SIZE:,})")
    return value


def _at_most(size: int, what: str) -> None:
    if size > MAX_SIZE:
        raise RenderLimit(f"{what} would make about {size:,} characters or items (at most {MAX_SIZE:,})")


def _numbers(args: Iterable[Any], kwargs: Mapping[str, Any], what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_SIZE:
            raise RenderLimit(f"{what} is given {value:,}; numbers passed to it are at most {MAX_SIZE:,}")


def _replace_size(text: Any, old: Any, new: Any, count: Any = None) -> int:
    text, old, new = str(text), str(old), str(new)
    times = len(text) + 1 if not old else text.count(old)
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * len(new)


def _join_size(separator: Any, items: list[Any]) -> int:
    return len(str(separator)) * max(0, len(items) - 1) + sum(_length(i) for i in items)


def _lines(text: Any) -> int:
    return str(text).count("\n") + 1


# What the filters that can grow their input would make, checked before they run.
FILTER_SIZES: dict[str, Callable[..., int]] = {
    "replace": _replace_size,
    "indent": lambda s, width=4, *a, **k: len(str(s)) + _width(width, "indent") * _lines(s),
    "center": lambda s, width=80: max(len(str(s)), width if isinstance(width, int) else 0),
    "wordwrap": lambda s, width=79, break_long_words=True, wrapstring=None, *a, **k: (
        len(str(s)) + len(str(s)) * len(str(wrapstring or "\n")) // max(1, width if isinstance(width, int) else 1)
    ),
    "tojson": lambda value, indent=None: _width(indent, "tojson") and 0,
}


def _width(width: Any, name: str) -> int:
    """Indents are repeated on every line: a wide one is refused whatever the text."""
    if isinstance(width, int) and width > MAX_WIDTH:
        raise RenderLimit(f"the {name} filter's indent is at most {MAX_WIDTH}; it is given {width:,}")
    return width if isinstance(width, int) else len(str(width or ""))


def _bounded_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    skip = 1 if getattr(function, "jinja_pass_arg", None) else 0  # the context or environment Jinja passes first

    @functools.wraps(function)
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        _numbers(args[skip + 1 :], kwargs, f"the {name} filter")
        if name in FILTER_SIZES:
            _at_most(FILTER_SIZES[name](*args[skip:], **kwargs), f"the {name} filter")
        if name == "join" and len(args) > skip:
            items = list(args[skip])
            _at_most(_join_size(args[skip + 1] if len(args) > skip + 1 else kwargs.get("d", ""), items), "the join filter")
            args = (*args[:skip], items, *args[skip + 1 :])
        return _sized(function(*args, **kwargs))

    return bounded


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    """Every loop's iterable passes through here: each turn is a step."""
    for item in iterable:
        _step()
        yield item


def _range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise RenderLimit(f"range() is limited to {MAX_RANGE:,} numbers; this one has {len(numbers):,}")
    return numbers


_range.__name__ = "range"  # as staff wrote it, in messages


class _Bounds(NodeTransformer):
    """Loops and `~` joins compile to plain Python the sandbox never sees: route them through checks."""

    def visit_For(self, node: nodes.For) -> nodes.Node:
        self.generic_visit(node)  # transforms the children in place
        node.iter = nodes.Filter(node.iter, "_counted", [], [], None, None, lineno=node.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat) -> nodes.Node:
        self.generic_visit(node)
        return nodes.Filter(node, "_sized", [], [], None, None, lineno=node.lineno)


class BoundedSandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.filters = {name: _bounded_filter(name, f) for name, f in self.filters.items() if name not in REFUSED_FILTERS}
        self.filters.update(_counted=_counted, _sized=_sized)
        self.globals["range"] = _range
        self.globals.pop("lipsum", None)

    def _parse(self, source: str, name: str | None, filename: str | None) -> nodes.Template:
        if len(source) > MAX_SOURCE:
            raise RenderLimit(f"the template is {len(source):,} characters long (at most {MAX_SOURCE:,})")
        return _Bounds().visit(super()._parse(source, name, filename))

    def wrap_str_format(self, value: Any) -> None:
        """Jinja sandboxes str.format and format_map; here they are refused (is_safe_attribute), widths and all."""
        return None

    def is_safe_attribute(self, obj: Any, attr: str, value: Any) -> bool:
        if isinstance(obj, str) and attr in REFUSED_STR_METHODS:
            return False
        return super().is_safe_attribute(obj, attr, value)

    def unsafe_undefined(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, str) and attribute in REFUSED_STR_METHODS:
            return self.undefined(
                f"text.{attribute}() is not available in templates: {NO_FORMATTING}", name=attribute, obj=obj, exc=RenderLimit
            )
        return super().unsafe_undefined(obj, attribute)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "%" and isinstance(left, str):
            raise RenderLimit(f"formatting text with % is not available in templates: {NO_FORMATTING}")
        if operator == "*":
            _check_product(left, right)
        if (
            operator == "**"
            and isinstance(left, int)
            and isinstance(right, int)
            and abs(left) > 1
            and left.bit_length() * right > MAX_INT_BITS
        ):
            raise RenderLimit(f"{left} ** {right} is too large a number for a message")
        return _sized(super().call_binop(context, operator, left, right))

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        if isinstance(__obj, Undefined):
            return super().call(__context, __obj, *args, **kwargs)  # says what is undefined
        what = f"{getattr(__obj, '__name__', 'this call')}()"
        _numbers(args, kwargs, what)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") == "replace" and len(args) >= 2:
            _at_most(_replace_size(owner, *args[:3]), what)
        if isinstance(owner, str) and getattr(__obj, "__name__", "") == "join" and args:
            items = list(args[0])
            _at_most(_join_size(owner, items), what)
            args = (items, *args[1:])
        return _sized(super().call(__context, __obj, *args, **kwargs))


def _check_product(left: Any, right: Any) -> None:
    for sequence, times in ((left, right), (right, left)):
        if isinstance(sequence, Sized) and not isinstance(sequence, Mapping) and isinstance(times, int):
            _at_most(len(sequence) * max(0, times), "repeating a text or list")
    if isinstance(left, int) and isinstance(right, int) and left.bit_length() + right.bit_length() > MAX_INT_BITS:
        raise RenderLimit("the template multiplies numbers too large for a message")


def render_bounded(template: Template, variables: Mapping[str, Any]) -> str:
    """The template's text, rendered within the budget; a RenderLimit names the bound crossed."""
    token = _budget.set(_Budget(deadline=time.monotonic() + MAX_SECONDS))
    try:
        chunks, size = [], 0
        for chunk in template.generate(**variables):
            size += len(chunk)
            if size > MAX_SIZE:
                raise RenderLimit(f"the message would be longer than {MAX_SIZE:,} characters")
            chunks.append(chunk)
        return "".join(chunks)
    finally:
        _budget.reset(token)
