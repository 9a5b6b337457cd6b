"""What the graph builder says: the nodes' display names (`v1`, `c_2`), and when a call does not
fit, the shapes, or the option or input the op's own check names (which then leads the message),
and the source span to underline."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .ops import CONSTANTS, FUNCTION_NAMES, Op, Options

if TYPE_CHECKING:
    from .graph import Node


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


def give_names(nodes: list[Node], program_names: set[str]) -> None:
    """Distinct display names that parse and clash with nothing in the program."""
    taken = set(program_names) | set(CONSTANTS) | FUNCTION_NAMES
    named, unnamed, constants = [], [], []
    for node in nodes:
        if node.op == "const":
            constants.append(node)  # a literal's name is its text; `pi` and `e` are their own names.
        else:
            (named if node.user_named else unnamed).append(node)
    used = _version_names(named, taken)
    # Then v1, v2, ... for the others, skipping the names taken; at once when none clashes.
    generated = [f"v{counter}" for counter in range(1, len(unnamed) + 1)]
    if taken.isdisjoint(generated) and used.isdisjoint(generated):
        for node, name in zip(unnamed, generated, strict=True):
            node.name = name
        used.update(generated)
    else:
        counter = 0
        for node in unnamed:
            counter += 1
            name = f"v{counter}"
            while name in taken or name in used:
                counter += 1
                name = f"v{counter}"
            node.name = name
            used.add(name)
    # A constant whose name a user's node also took (`e` read, then `e = ...`) is shown by value.
    for node in constants:
        if node.name in used:
            node.name = repr(float(node.value))


def _version_names(named: list[Node], taken: set[str]) -> set[str]:
    """The user's names, a name assigned again as `c_2`, `c_3`, ... (skipping names taken); the
    set of names given. All distinct (10^5 variables read once each): they stay as they are."""
    used = {node.name for node in named}
    if len(used) == len(named):
        return used
    used = set()
    next_version: dict[str, int] = {}  # per base name, so n versions cost O(n), not O(n^2)
    for node in named:
        base = node.name
        version = next_version.get(base, 1)
        name = base if version == 1 else f"{base}_{version}"
        while name in used or (version > 1 and name in taken):
            version += 1
            name = f"{base}_{version}"
        node.name = name
        next_version[base] = version + 1
        used.add(name)
    return used
