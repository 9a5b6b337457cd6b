"""What the graph builder says when a call does not fit: the shapes, or the option or input
the op's own check names (which then leads the message), and the source span to underline."""

from __future__ import annotations

import numpy as np

from .ops import Op, Options


def shape_message(op: Op, args: list[np.ndarray]) -> str:
    """`shapes (3,) and (2,) do not fit in '+'`, `shape (3,) does not fit in indexing`."""
    shapes = [str(tuple(np.shape(a))) for a in args]
    if op.name == "index":
        return f"shape {shapes[0]} does not fit in indexing"
    where = "in an array literal" if op.name == "stack" else f"in {op.symbol!r}"
    if len(shapes) == 1:
        return f"shape {shapes[0]} does not fit {where}"
    return f"shapes {' and '.join(shapes)} do not fit {where}"


def about_an_option(op: Op, problem: str) -> bool:
    """Whether a row's check speaks of one of its options or inputs by name (`axis 3 is out of
    range`, `target holds class indices ...`): then that is the error, not the shapes."""
    return any(problem.split(" ", 1)[0] == name for name, _ in op.options) or about_an_input(op, problem)


def about_an_input(op: Op, problem: str) -> bool:
    words = problem.split(" ", 2)
    return len(words) > 2 and words[0] in op.params and words[1] in ("holds", "has", "is")


def options_text(options: Options) -> str:
    return ", ".join(f"{name}={value!r}" for name, value in options)
