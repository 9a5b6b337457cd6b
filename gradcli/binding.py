"""Binding values to a program's variables: the one place every entry point (the API, `--at`,
`--points`, `descend --data`) turns given values into arrays and checks the names, so each
"no value for", "not read" and "--wrt names" message is written once."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np

from .errors import GradcliError
from .expr import Program
from .graph import ProgramNames
from .ops import CONSTANTS
from .values import AtValue


def as_array(name: str, value: object) -> np.ndarray:
    """The value of variable `name` as a float64 array (an `--at` value keeps its own)."""
    if isinstance(value, AtValue):
        return value.value
    # numpy would read None as nan, "1.5" as 1.5 and True as 1: none is a number the user meant.
    if value is None or isinstance(value, (str, bytes, bool, np.bool_)):
        raise GradcliError(f"the value of {name!r} is not a number or an array of numbers: {value!r}")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise GradcliError(
            f"the value of {name!r} is not a number or an array of numbers: {value!r}"
        ) from None
    return array


def _located(error: GradcliError, value: object) -> GradcliError:
    if isinstance(value, AtValue):
        error.span, error.source, error.label = value.span, value.text, value.label
    return error


def no_value_message(missing: list[str]) -> str:
    """`no value for x`, or `no values for x, y`."""
    names = ", ".join(missing)
    return f"no value for {names}" if len(missing) == 1 else f"no values for {names}"


def no_value_error(missing: list[str], names: ProgramNames, source: str, hint: str) -> GradcliError:
    """The error for variables nothing gives a value, pointing at the first one's use."""
    return GradcliError(no_value_message(missing), span=names.free[missing[0]], source=source, hint=hint)


def check_values(
    program: Program, names: ProgramNames, values: Mapping[str, object], warnings: list[str]
) -> None:
    """Every variable has a value and every value names a variable; a value for a constant
    (`pi`, `e`) makes it a variable, with a warning appended to `warnings`."""
    free = names.free
    # Set operations first (10^5 variables), then the loops below only where one finds something.
    if free.keys() - values.keys() - CONSTANTS.keys():
        missing = [n for n in free if n not in values and n not in CONSTANTS]
        example = ",".join(f"{n}=1" for n in missing)
        hint = f"give {'it' if len(missing) == 1 else 'them'} with --at, e.g. --at {example}"
        raise no_value_error(missing, names, program.source, hint)
    if values.keys() <= free.keys() and CONSTANTS.keys().isdisjoint(values):
        return
    for name, value in values.items():
        if name not in free:
            reads = ", ".join(n for n in free if n not in CONSTANTS) or "no variables"
            raise _located(
                GradcliError(
                    f"a value is given for {name!r}, but the program does not read {name!r}",
                    hint=f"the program reads {reads}",
                ),
                value,
            )
        if name in CONSTANTS:
            warnings.append(f"{name!r} is given a value, so it is a variable here, not the constant {name}")


def wrt_not_a_variable(name: str, variables: Iterable[str], option: str | None = "--wrt") -> GradcliError:
    """The error for `--wrt` (or `wrt=`) naming something that is not a variable; `option=None`
    for an engine's own caller (forward mode), which has no option to name."""
    subject = f"{option} names {name!r}, which" if option else repr(name)
    return GradcliError(
        f"{subject} is not a variable of the program",
        hint=f"the variables are: {', '.join(variables) or 'none'}",
    )


def check_wrt(variables: Iterable[str], wrt: Iterable[str] | None) -> tuple[str, ...]:
    """The variables to differentiate by (default: all), each once."""
    variables = tuple(variables)
    if wrt is None:
        return variables
    chosen = tuple(dict.fromkeys(wrt))
    for name in chosen:
        if name not in variables:
            raise wrt_not_a_variable(name, variables)
    return chosen


def bind_points(
    program: Program, names: ProgramNames, columns: list[str], label: str, at: Mapping[str, object]
) -> tuple[list[str], list[str], list[str]]:
    """Bind a points file's `columns` and the `--at` values: the variables bound (in the program's
    order), those the file gives, and the warnings; checks every value is given once."""
    free = names.free
    from_file = [name for name in columns if name in free]
    both = [name for name in from_file if name in at]
    if both:
        raise GradcliError(
            f"{both[0]!r} is given both by --at and by a column of {label}",
            hint=f"drop {both[0]} from --at, or from the file",
        )
    missing = [name for name in free if name not in CONSTANTS and name not in at and name not in from_file]
    if missing:
        example = ",".join(f"{name}=1" for name in missing)
        listed = f"a column {missing[0]}" if len(missing) == 1 else f"columns {', '.join(missing)}"
        it = "it" if len(missing) == 1 else "them"
        where = f"add {listed} to {label}, or fix {it} for every point with --at {example}"
        raise no_value_error(missing, names, program.source, where)
    warnings: list[str] = []
    check_values(program, names, {**at, **dict.fromkeys(from_file)}, warnings)
    bound = [name for name in free if name in at or name in from_file]
    return bound, from_file, warnings
