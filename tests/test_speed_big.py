"""The fast paths for big programs give what the careful ones give (no test here times anything):

- `--at` options of plain `name=number` pairs read at once (values._plain_pairs): the same values,
  spans and errors as pair by pair;
- the nodes' display names given at once when nothing clashes (graph_messages.give_names): the
  names the one-by-one loop gives;
- program_names' walk with a dispatch on the node's type: what a walk() over the tree finds, and
  the same first error.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcli.graph as graph_module
from gradcli import values
from gradcli.errors import GradcliError, Span
from gradcli.expr import Assign, Call, Index, Name
from gradcli.graph import ProgramNames, build_graph, program_names, walk
from gradcli.ops import CONSTANTS, FUNCTION_NAMES
from gradcli.parse import parse_program
from gradcli.parse.calls import index_key, plain_index, resolve_call


def _read(options: list[str], fast: bool, monkeypatch) -> tuple:
    monkeypatch.setattr(values, "_plain_pairs", values._plain_pairs if fast else lambda text: None)
    try:
        result = values.parse_at(options)
    except GradcliError as error:
        return ("error", error.message, error.span, error.source, error.hint, error.label)
    finally:
        monkeypatch.undo()
    return tuple(
        (name, type(v.value), np.asarray(v.value).tobytes(), v.text, v.span, v.label)
        for name, v in result.items()
    )


@pytest.mark.parametrize(
    "options",
    [
        ["a=1,b=2,c=-3.5e-2"],
        ["a=1", "b=2,c=3"],
        ["a=1,b=2,a=3"],  # given twice within an option
        ["a=1,b=2", "c=0,b=3"],  # given twice across options
        ["a=1,b=2", "b=[1,2]"],  # the second option takes the careful path
        ["a=1,b=1e400"],  # not finite: the parser says what is wrong
        ["a=1,,b=2"],
        ["a=1,b=2,"],
        ["a=1, b=2"],  # a blank around a pair: the careful path
        ["a=1,b=pi/4"],
        ["a=1,b=@w.npy"],
        ["w0=2,x0=-1.5e-3", " y = +.5 ", "z=\t7"],
    ],
)
def test_plain_options_read_at_once_as_pair_by_pair(options, monkeypatch):
    assert _read(options, True, monkeypatch) == _read(options, False, monkeypatch)


def test_an_at_value_makes_its_span_when_asked():
    (name, value), *_ = values._plain_pairs("ab=1,c=2").items()
    assert (name, value.span, value.text, value.label) == ("ab", Span(1, 1, 0, 4), "ab=1,c=2", "--at")
    assert value == values.AtValue(np.float64(1), "ab=1,c=2", Span(1, 1, 0, 4))
    assert "AtValue(" in repr(value)


def _names_one_by_one(nodes, program_names: set[str]) -> list[str]:
    """graph_messages.give_names as it was before the fast paths (issue 14's loop), on copies."""
    taken = set(program_names) | set(CONSTANTS) | FUNCTION_NAMES
    names = [node.name for node in nodes]
    used: set[str] = set()
    next_version: dict[str, int] = {}
    for k, node in enumerate(nodes):
        if node.op == "const" or not node.user_named:
            continue
        base = names[k]
        version = next_version.get(base, 1)
        name = base if version == 1 else f"{base}_{version}"
        while name in used or (version > 1 and name in taken):
            version += 1
            name = f"{base}_{version}"
        names[k] = name
        next_version[base] = version + 1
        used.add(name)
    counter = 0
    for k, node in enumerate(nodes):
        if node.op != "const" and not node.user_named:
            counter += 1
            while f"v{counter}" in taken or f"v{counter}" in used:
                counter += 1
            names[k] = f"v{counter}"
            used.add(names[k])
    for k, node in enumerate(nodes):
        if node.op == "const" and names[k] in used:
            names[k] = repr(float(node.value))
    return names


PROGRAMS = [
    "w0*x0 + w1*x1 + w2*x2",
    "v1*x + v3*y + sin(x)",  # user names that the generated ones must skip
    "c = x*y; c = c + 1; c_2 = c*c; c + c_2",  # versions, and a version a user wrote
    "e = x + 1; e*pi + e",  # a constant whose name a user's node took
    "a = x; a = a*2; a = a*3; v2 = a + 1; v2*a",
    "sum([x, y, 2*x]) + exp(-x)",
    "s = 2*x; s + 1",
]


@pytest.mark.parametrize("source", PROGRAMS)
def test_names_given_at_once_as_one_by_one(source, monkeypatch):
    program = parse_program(source)
    names = program_names(program)
    variables = {name: np.float64(0.5 + k) for k, name in enumerate(names.free) if name not in CONSTANTS}
    graph = build_graph(program, variables, names)
    # Built again without naming, to hand the reference the nodes before they were named.
    monkeypatch.setattr(graph_module, "give_names", lambda nodes, all_names: None)
    raw = build_graph(program, variables, names)
    assert [node.name for node in graph.nodes] == _names_one_by_one(raw.nodes, names.all)


def _names_by_walk(program) -> ProgramNames:
    """program_names as it was: walk() over each statement."""
    assigned, free, every = set(), {}, set()
    for statement in program.statements:
        value = statement.value if isinstance(statement, Assign) else statement
        for node in walk(value):
            if isinstance(node, Name):
                every.add(node.name)
                if node.name not in assigned and node.name not in free:
                    free[node.name] = node.span
            elif isinstance(node, Call):
                resolve_call(node, program.source)
                every.add(node.func)
            elif isinstance(node, Index) and not plain_index(node):
                index_key(node, program.source)
        if isinstance(statement, Assign):
            assigned.add(statement.name)
            every.add(statement.name)
    return ProgramNames(free, every)


@pytest.mark.parametrize(
    "source",
    [
        *PROGRAMS,
        "x = x + 1; y*x",
        "W[0, 1] * x[1:3] + v[[0, 2]]",
        "sum(x, axis=1) + max(y, 0)",
        "-(a + b) * +c",
        "foo(x) + bar(y)",  # two unknown functions: the first one is said
        "sum(x, axis=1, axis=2) + nosuch(y)",
        "exp(nosuch(x))",  # the outer call is resolved first
        "x[1:2:0] + y[nosuch(1)]",
    ],
)
def test_program_names_as_a_walk_finds_them(source):
    program = parse_program(source)

    def outcome(function):
        try:
            found = function(program)
        except GradcliError as error:
            return ("error", error.message, error.span, error.hint)
        return (list(found.free.items()), sorted(found.all))

    assert outcome(program_names) == outcome(_names_by_walk)


def _check_one_by_one(program, names, values) -> tuple:
    """binding.check_values as it was: a loop over every name."""
    warnings: list[str] = []
    missing = [n for n in names.free if n not in values and n not in CONSTANTS]
    if missing:
        return ("missing", missing)
    for name in values:
        if name not in names.free:
            return ("not read", name)
        if name in CONSTANTS:
            warnings.append(name)
    return ("ok", warnings)


@pytest.mark.parametrize(
    ("source", "given"),
    [
        ("x*y", {"x": 1, "y": 2}),
        ("x*y", {"x": 1}),
        ("x*y + z", {"y": 1}),
        ("x*y", {"x": 1, "y": 2, "z": 3}),
        ("x*pi", {"x": 1, "pi": 3}),  # a constant given a value: a variable, with a warning
        ("e*pi + x", {"pi": 3, "x": 1, "e": 2}),
        ("x*pi", {"x": 1}),
        ("2 + 3", {}),
        ("2 + 3", {"q": 1}),
    ],
)
def test_check_values_by_sets_as_one_by_one(source, given):
    from gradcli.binding import check_values

    program = parse_program(source)
    names = program_names(program)
    warnings: list[str] = []
    try:
        check_values(program, names, given, warnings)
        found = ("ok", [w.split("'")[1] for w in warnings])
    except GradcliError as error:
        found = (
            ("missing", error.message)
            if error.message.startswith("no value")
            else ("not read", error.message)
        )
    expected = _check_one_by_one(program, names, given)
    assert found[0] == expected[0]
    if expected[0] == "ok":
        assert found[1] == expected[1]
    elif expected[0] == "not read":
        assert repr(expected[1]) in found[1]
    else:
        assert all(name in found[1] for name in expected[1])
