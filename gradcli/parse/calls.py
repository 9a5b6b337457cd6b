"""What a call and a subscript mean: which op a call names, its inputs and its options; the key
of an index with ranges or integer lists (`x[1:3]`, `x[[0, 2, 0]]`).

A call is `f(inputs..., options...)`. An option is `name=value` with the op's documented name, or
written by position after the inputs, as numpy allows (`sum(x, 1)`, `reshape(x, [2, 3])`), when
the name calls one op only (`max(x, 0)` is the maximum of two, so `max(x, axis=0)`). A string
literal is only ever an option's value; an op may take some string options before its inputs
(`einsum("ij,jk->ik", a, b)`). An option's value must be a constant written in the source.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import GradcliError
from ..expr import Array, Call, Expr, Index, Keyword, NotConstant, Num, Slice, Str, Unary, option_value
from ..ops import FUNCTION_NAMES, FUNCTIONS, Op, Options, functions_named
from . import first_span, suggest


@dataclass(frozen=True, eq=False, repr=False)
class Resolved:
    """A call read against the op table: the op, the expressions of its inputs, its options."""

    op: Op
    inputs: tuple[Expr, ...]
    options: Options


def _error(message: str, expr: Expr | Keyword, source: str, hint: str | None = None) -> GradcliError:
    span = expr.span if isinstance(expr, Keyword) else first_span(expr)
    return GradcliError(message, span=span, source=source, hint=hint)


def _options_hint(op: Op, func: str) -> str:
    if not op.options:
        return f"{func}() takes no options"
    listed = ", ".join(f"{name}={_shown(default)}" for name, default in op.options)
    return f"the options of {func}() are {listed}"


def _shown(value: object) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, tuple):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return "None" if value is None else f"{value:g}" if isinstance(value, float) else str(value)


def _arity_error(func: str, candidates: list[Op], count: int, expr: Call, source: str) -> GradcliError:
    counts = sorted({op.arity for op in candidates if not op.variadic})
    wanted = " or ".join(str(n) for n in counts)
    plural = "s" if counts and counts[-1] != 1 else ""
    hint = None
    with_options = [op for op in candidates if op.options]
    if with_options:
        hint = _options_hint(with_options[0], func) + f", written {func}(x, name=value)"
    return GradcliError(
        f"{func}() takes {wanted} argument{plural}, not {count}", span=expr.span, source=source, hint=hint
    )


def _choose(expr: Call, args: tuple[Expr, ...], source: str) -> tuple[Op, tuple[Expr, ...], tuple[Expr, ...]]:
    """The op a call names, the expressions of its inputs, and the options written by position."""
    func, count = expr.func, len(args)
    exact = FUNCTIONS.get((func, count))
    if exact is not None:
        return exact, args, ()
    candidates = functions_named(func)
    if not candidates:
        near = suggest(func, FUNCTION_NAMES)
        hint = f"did you mean {near!r}?" if near else "functions: " + ", ".join(sorted(FUNCTION_NAMES))
        raise GradcliError(f"unknown function {func!r}", span=expr.span, source=source, hint=hint)
    variadic = [op for op in candidates if op.variadic]
    if variadic:
        op = variadic[0]
        if not op.sequence:
            return op, args, ()
        if not args or not isinstance(args[0], Array):
            raise GradcliError(
                f"{func}() takes its inputs as one list in brackets",
                span=expr.span,
                source=source,
                hint=f"write {func}([a, b], ...)",
            )
        return op, args[0].items, args[1:]
    if len(candidates) == 1:
        op = candidates[0]
        spare = [name for name in op.option_names if name not in op.leading]
        if op.arity < count <= op.arity + len(spare):
            return op, args[: op.arity], args[op.arity :]
    raise _arity_error(func, candidates, count, expr, source)


def _value(op: Op, func: str, name: str, expr: Expr, source: str) -> object:
    """The plain value of option `name`, checked against the type of its default."""
    try:
        value = option_value(expr)
    except NotConstant as error:
        raise _error(
            f"{name} must be a constant",
            error.expr,
            source,
            f"write a number ({name}=1), a list of numbers ([0, 1]) or a string in double quotes; "
            "variables and expressions cannot be options",
        ) from None
    default = dict(op.options)[name]
    if isinstance(default, bool):
        if isinstance(value, str) or value not in (0, 1):
            raise _error(f"{name} is 0 or 1 (false or true), not {_shown(value)}", expr, source)
        return bool(value)
    if isinstance(default, str) and not isinstance(value, str):
        raise _error(f'{name} takes a string in double quotes, as {name}="{default}"', expr, source)
    if isinstance(value, str) and not isinstance(default, str) and name not in op.leading:
        raise _error(
            f"{name} takes a number or a list of numbers, not a string",
            expr,
            source,
            _options_hint(op, func),
        )
    return value


def resolve_call(expr: Call, source: str) -> Resolved:
    """The op, inputs and options of a call; a GradcliError (with a caret) for an unknown
    function, a wrong number of arguments, an unknown, repeated or non-constant option."""
    args = expr.args
    strings = 0
    while strings < len(args) and isinstance(args[strings], Str):
        strings += 1
    rest = args[strings:]
    for arg in rest:
        if isinstance(arg, Str):
            raise _error(
                "a string literal is only an option's value",
                arg,
                source,
                'options are written name=value, as gelu(x, approximate="tanh")',
            )
    op, inputs, spare = _choose(expr, rest, source)
    func = expr.func
    if strings > len(op.leading):
        raise _error(
            "a string literal is only an option's value",
            args[len(op.leading)],
            source,
            _options_hint(op, func) + ', written name=value, as gelu(x, approximate="tanh")',
        )
    given: dict[str, object] = {}
    for name, arg in zip(op.leading, args[:strings], strict=False):
        given[name] = _value(op, func, name, arg, source)
    positional = [name for name in op.option_names if name not in op.leading]
    for name, arg in zip(positional, spare, strict=False):
        given[name] = _value(op, func, name, arg, source)
    for keyword in expr.keywords:
        if keyword.name not in op.option_names:
            raise _error(f"{func}() has no option {keyword.name!r}", keyword, source, _options_hint(op, func))
        if keyword.name in given:
            raise _error(f"the option {keyword.name} is given twice", keyword, source, "give it once")
        given[keyword.name] = _value(op, func, keyword.name, keyword.value, source)
    return Resolved(op, inputs, op.fill(given))


# --- subscripts ----------------------------------------------------------------------------------


def _whole(expr: Expr | None) -> int | None:
    """The whole number a literal index writes (`2`, `-1`), or None if it is not one."""
    if isinstance(expr, Unary) and isinstance(expr.operand, Num):
        value = -expr.operand.value if expr.op == "neg" else expr.operand.value
    elif isinstance(expr, Num):
        value = expr.value
    else:
        return None
    return int(value) if value == int(value) and abs(value) < 2**62 else None


def plain_index(expr: Index) -> bool:
    """Whole numbers only (`x[1, 2]`, `x[-1]`): the `index` op, one number per position."""
    return not any(isinstance(item, (Slice, Array)) for item in expr.indices)


_INDEX_HINT = "write x[0], x[1:3], x[::-1], W[:, 0] or x[[0, 2, 0]]; indices count from 0, and -1 is the last"


def _part(expr: Expr | None, source: str, what: str) -> str:
    if expr is None:
        return ""
    number = _whole(expr)
    if number is None:
        raise _error(f"{what} must be a whole number written in the source", expr, source, _INDEX_HINT)
    return str(number)


def subscript_text(item: Expr, source: str) -> str:
    """One subscript as a key writes it: `1:3`, `[0, 2]`, `-1`."""
    if isinstance(item, Slice):
        start = _part(item.start, source, "a range's start")
        stop = _part(item.stop, source, "a range's end")
        step = _part(item.step, source, "a range's step")
        if step == "0":
            raise _error("a range's step cannot be 0", item.step, source, "x[::2] takes every other element")
        return f"{start}:{stop}" + (f":{step}" if step else "")
    if isinstance(item, Array):
        parts = [_part(element, source, "an index in a list") for element in item.items]
        return "[" + ", ".join(parts) + "]"
    return _part(item, source, "an index")


def index_key(expr: Index, source: str) -> str:
    """The key of `x[...]` with ranges or integer lists, as gradcli writes it (`1:3`, `:, 0`,
    `[0, 2, 0]`): the `slice` op's option. Raises GradcliError for a part that is not a whole
    number written in the source."""
    return ", ".join(subscript_text(item, source) for item in expr.indices)


def subscript_at_fault(op: Op, args: list, subscripts: tuple[Expr, ...], source: str) -> Expr | None:
    """The first subscript of `x[...]` that does not fit x (out of range, one too many), found by
    checking ever longer prefixes of the subscripts with the op's own check (index or slice)."""
    for k in range(1, len(subscripts) + 1):
        if op.name == "index":
            problem = op.check(args[0], *args[1 : k + 1])
        else:
            key = ", ".join(subscript_text(item, source) for item in subscripts[:k])
            problem = op.check(args[0], key=key)
        if problem is not None:
            return subscripts[k - 1]
    return None
