"""The shape ops' rules with their options (the generic tests of tests/test_ops.py call them with
the defaults only): for every case below, the value against numpy, each vector-Jacobian product
against central finite differences, the printed formula (parsed and evaluated by gradcli) against
the rule, the rule over a batch of seeds against one seed at a time, and the Jacobian-vector
products the modules offer forward mode (`JVPS`) against the Jacobian the vjps give.
"""

from __future__ import annotations

import numpy as np
import pytest

import gradcli
from gradcli.backprop import one_hot_seeds
from gradcli.graph import program_names
from gradcli.ops import OPS, einsum, joining, matrices, partial_of, reshaping
from gradcli.parse import parse_expression

JVPS = {**reshaping.JVPS, **joining.JVPS, **matrices.JVPS, **einsum.JVPS}

# (op, input shapes, options, what numpy computes)
CASES = [
    ("ravel", [(2, 3)], {}, np.ravel),
    ("ravel", [()], {}, np.ravel),
    ("squeeze", [(2, 1, 3)], {}, np.squeeze),
    ("squeeze", [(1, 3, 1)], {"axis": 0}, lambda x: np.squeeze(x, 0)),
    ("squeeze", [(1, 3, 1)], {"axis": (0, 2)}, lambda x: np.squeeze(x, (0, 2))),
    ("squeeze", [(1, 3, 1)], {"axis": -1}, lambda x: np.squeeze(x, -1)),
    ("transpose", [(2, 3)], {}, np.transpose),
    ("transpose", [(2, 3, 4)], {}, np.transpose),
    ("transpose", [(2, 3, 4)], {"axes": (1, 0, 2)}, lambda x: np.transpose(x, (1, 0, 2))),
    ("transpose", [(2, 3, 4)], {"axes": (2, 0, 1)}, lambda x: np.transpose(x, (2, 0, 1))),
    ("transpose", [(2, 3, 4)], {"axes": (-1, 0, 1)}, lambda x: np.transpose(x, (2, 0, 1))),
    ("flip", [(2, 3)], {}, np.flip),
    ("flip", [(2, 3)], {"axis": 0}, lambda x: np.flip(x, 0)),
    ("flip", [(2, 3, 2)], {"axis": (0, 2)}, lambda x: np.flip(x, (0, 2))),
    ("flip", [(4,)], {"axis": -1}, lambda x: x[::-1]),
    ("repeat", [(2, 3)], {"repeats": 2}, lambda x: np.repeat(x, 2)),
    ("repeat", [(2, 3)], {"repeats": 2, "axis": 0}, lambda x: np.repeat(x, 2, 0)),
    ("repeat", [(2, 3)], {"repeats": 3, "axis": -1}, lambda x: np.repeat(x, 3, -1)),
    ("repeat", [(3,)], {"repeats": (2, 0, 1)}, lambda x: np.repeat(x, [2, 0, 1])),
    ("repeat", [(2, 3)], {"repeats": (1, 2), "axis": 0}, lambda x: np.repeat(x, [1, 2], 0)),
    ("repeat", [(2, 3)], {"repeats": (1, 0, 2, 1, 1, 3)}, lambda x: np.repeat(x, [1, 0, 2, 1, 1, 3])),
    ("repeat", [(2, 3)], {"repeats": (2,), "axis": 1}, lambda x: np.repeat(x, 2, 1)),
    ("repeat", [()], {"repeats": 3}, lambda x: np.repeat(x, 3)),
    ("tile", [(2, 3)], {"reps": (2, 1)}, lambda x: np.tile(x, (2, 1))),
    ("tile", [(3,)], {"reps": (2, 2)}, lambda x: np.tile(x, (2, 2))),
    ("tile", [(2, 3)], {"reps": 2}, lambda x: np.tile(x, 2)),
    ("tile", [(2, 1, 3)], {"reps": (2, 1, 1, 3)}, lambda x: np.tile(x, (2, 1, 1, 3))),
    ("tile", [()], {"reps": 3}, lambda x: np.tile(x, 3)),
    ("tile", [(2, 3)], {"reps": (1, 1)}, lambda x: x),
    ("concat", [(2, 3), (2, 3)], {}, lambda a, b: np.concatenate([a, b])),
    ("concat", [(2,), (3,), (1,)], {}, lambda *v: np.concatenate(v)),
    ("concat", [(2, 2), (2, 3)], {"axis": 1}, lambda a, b: np.concatenate([a, b], 1)),
    ("concat", [(2, 2), (2, 3)], {"axis": -1}, lambda a, b: np.concatenate([a, b], 1)),
    ("stack_axis", [(3,), (3,)], {}, lambda a, b: np.stack([a, b])),
    ("stack_axis", [(2, 3)] * 3, {"axis": 2}, lambda *v: np.stack(v, 2)),
    ("stack_axis", [(), ()], {}, lambda a, b: np.stack([a, b])),
    ("stack_axis", [(2, 3), (2, 3)], {"axis": -2}, lambda a, b: np.stack([a, b], -2)),
    ("diag", [(3,)], {}, np.diag),
    ("diag", [(3,)], {"k": 1}, lambda x: np.diag(x, 1)),
    ("diag", [(3,)], {"k": -2}, lambda x: np.diag(x, -2)),
    ("diag", [(3, 3)], {}, np.diag),
    ("diag", [(3, 3)], {"k": 1}, lambda x: np.diag(x, 1)),
    ("diag", [(2, 4)], {"k": 1}, lambda x: np.diag(x, 1)),
    ("diag", [(4, 2)], {"k": -1}, lambda x: np.diag(x, -1)),
    ("trace", [(3, 3)], {}, np.trace),
    ("trace", [(2, 4)], {}, np.trace),
    ("trace", [(3, 3)], {"offset": 1}, lambda x: np.trace(x, 1)),
    ("trace", [(4, 2)], {"offset": -1}, lambda x: np.trace(x, -1)),
    ("triu", [(3, 3)], {}, np.triu),
    ("triu", [(3, 4)], {"k": 1}, lambda x: np.triu(x, 1)),
    ("triu", [(2, 3, 3)], {"k": -1}, lambda x: np.triu(x, -1)),
    ("tril", [(3, 3)], {}, np.tril),
    ("tril", [(4, 3)], {"k": -1}, lambda x: np.tril(x, -1)),
    ("tril", [(2, 3, 3)], {"k": 1}, lambda x: np.tril(x, 1)),
]

EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("i,i->", [(3,), (3,)]),
    ("i,j->ij", [(2,), (3,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->i", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("iij->j", [(2, 2, 3)]),
    ("iji->j", [(2, 3, 2)]),
    ("jii->ij", [(3, 2, 2)]),
    ("jiki->kj", [(2, 3, 2, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("ijk,ik->j", [(2, 3, 4), (2, 4)]),
    ("i,i,i->i", [(3,), (3,), (3,)]),
    ("ii,i->", [(3, 3), (3,)]),
    ("aB,Bc -> ca", [(2, 3), (3, 2)]),
    ("bhqd,bhkd->bhqk", [(1, 2, 3, 2), (1, 2, 2, 2)]),
]
CASES += [
    ("einsum", shapes, {"subscripts": text}, lambda *v, t=text: np.einsum(t, *v)) for text, shapes in EINSUMS
]

MATMULS = [
    [(2, 3), (3,)],
    [(2, 3), (3, 4)],
    [(3,), (3, 4)],
    [(3,), (3,)],
    [(2, 2, 3), (2, 3, 4)],
    [(2, 3), (2, 3, 4)],
    [(2, 2, 3), (3, 4)],
    [(1, 2, 3), (4, 3, 2)],
    [(4, 1, 2, 3), (5, 3, 2)],
    [(3,), (2, 3, 4)],
    [(2, 2, 3), (3,)],
    [(2, 1, 2, 3), (1, 3, 3, 2)],
]
CASES += [("matmul", shapes, {}, np.matmul) for shapes in MATMULS]


def _ids():
    for name, shapes, options, _ in CASES:
        shown = ",".join(f"{k}={v}" for k, v in options.items())
        yield f"{name}{shapes}{shown}"


def _inputs(shapes, seed: int = 0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-2.0, 2.0, size=shape) for shape in shapes]


def _vjp(name, index, inputs, out, grad, options):
    """The contribution of input `index`: the rule's vjp, or its local derivative × grad (trace)."""
    rule = partial_of(OPS[name], index)
    if rule.vjp is not None:
        return np.asarray(rule.vjp(*inputs, out, grad, **options))
    return np.asarray(rule.local(*inputs, out, **options) * grad)


def _central(name, index, inputs, grad, options, h=1e-6):
    x = np.asarray(inputs[index], dtype=float)
    result = np.zeros_like(x)
    for position in np.ndindex(*x.shape):
        sides = []
        for step in (h, -h):
            moved = x.copy()
            moved[position] += step
            args = [*inputs[:index], moved, *inputs[index + 1 :]]
            sides.append(np.sum(grad * OPS[name].forward(*args, **options)))
        result[position] = (sides[0] - sides[1]) / (2 * h)
    return result


@pytest.mark.parametrize(("name", "shapes", "options", "numpy"), CASES, ids=list(_ids()))
def test_value_and_vjps_against_numpy_and_finite_differences(name, shapes, options, numpy):
    op = OPS[name]
    inputs = _inputs(shapes)
    assert op.check is None or op.check(*inputs, **options) is None
    out = op.forward(*inputs, **options)
    np.testing.assert_allclose(out, numpy(*inputs), rtol=1e-14, atol=1e-14)
    grad = np.random.default_rng(1).normal(size=np.shape(out))
    for index in range(len(inputs)):
        got = _vjp(name, index, inputs, out, grad, options)
        assert got.shape == np.shape(inputs[index])
        numeric = _central(name, index, inputs, grad, options)
        np.testing.assert_allclose(got, numeric, rtol=1e-7, atol=1e-8, err_msg=f"input {index}")


@pytest.mark.parametrize(("name", "shapes", "options", "numpy"), CASES, ids=list(_ids()))
def test_printed_formulas_evaluate_to_the_rules(name, shapes, options, numpy):
    op = OPS[name]
    inputs = _inputs(shapes, seed=2)
    out = op.forward(*inputs, **options)
    grad = np.random.default_rng(3).normal(size=np.shape(out))
    bindings = {**dict(zip(op.params, inputs, strict=False)), "out": out, "grad": grad}
    for index in range(len(inputs)):
        text = partial_of(op, index).formula_text(*inputs, **options)
        free = program_names(gradcli.parse.parse_program(text)).free
        assert set(free) <= set(bindings), f"{text} reads {sorted(set(free) - set(bindings))}"
        parse_expression(text)
        value = gradcli.evaluate(text, {n: bindings[n] for n in free}, record_steps=False).value
        rule = partial_of(op, index)
        if rule.vjp is not None:
            expected = rule.vjp(*inputs, out, grad, **options)
        else:  # an elementwise local derivative (trace's): the formula is the local
            expected = rule.local(*inputs, out, **options)
        np.testing.assert_allclose(
            np.broadcast_to(value, np.shape(expected)), expected, rtol=1e-12, atol=1e-12, err_msg=text
        )


def _jacobian_from_vjps(name, index, inputs, out, options) -> np.ndarray:
    """(out.size, input.size): row k is the vjp of the k-th one-hot seed (rules called one by one)."""
    rule = partial_of(OPS[name], index)
    rows = []
    for seed in one_hot_seeds(np.shape(out)):
        if rule.vjp is not None:
            rows.append(np.ravel(rule.vjp(*inputs, out, seed, **options)))
        else:
            rows.append(np.ravel(rule.local(*inputs, out, **options) * seed))
    return np.array(rows).reshape(np.size(out), np.size(inputs[index]))


@pytest.mark.parametrize(("name", "shapes", "options", "numpy"), CASES, ids=list(_ids()))
def test_a_batch_of_seeds_gives_each_seeds_vjp(name, shapes, options, numpy):
    """Leading batch axes on grad (a Jacobian's seeds) stay in front, one vjp per seed."""
    inputs = _inputs(shapes, seed=4)
    out = OPS[name].forward(*inputs, **options)
    seeds = one_hot_seeds(np.shape(out))
    for index in range(len(inputs)):
        rule = partial_of(OPS[name], index)
        if rule.vjp is None:
            continue
        batch = np.reshape(rule.vjp(*inputs, out, seeds, **options), (len(seeds), -1))
        np.testing.assert_allclose(batch, _jacobian_from_vjps(name, index, inputs, out, options), atol=1e-14)


@pytest.mark.parametrize(("name", "shapes", "options", "numpy"), CASES, ids=list(_ids()))
def test_the_jvps_give_the_jacobian_of_the_vjps(name, shapes, options, numpy):
    """Forward mode's products (written from the ops, not from their vjps) over one-hot tangents
    give the columns of the Jacobian whose rows the vjps give."""
    if name == "matmul":  # forward.py's own _matmul_jvp: through the pipeline in test_shapes_modes.py
        pytest.skip("matmul's jvp is forward.py's")
    inputs = _inputs(shapes, seed=5)
    out = np.asarray(OPS[name].forward(*inputs, **options))
    for index in range(len(inputs)):
        tangents = one_hot_seeds(np.shape(inputs[index]))
        columns = JVPS[name](index, list(inputs), out, tangents, **options)
        assert np.shape(columns) == (len(tangents), *np.shape(out))
        jacobian = _jacobian_from_vjps(name, index, inputs, out, options)
        np.testing.assert_allclose(np.reshape(columns, (len(tangents), -1)).T, jacobian, atol=1e-14)


def test_every_shape_op_is_tested_here_and_has_a_jvp():
    tested = {name for name, *_ in CASES}
    assert tested == set(JVPS) | {"matmul"}
    assert all(not OPS[name].pointwise for name in tested)


@pytest.mark.parametrize(
    ("name", "shapes", "options", "formula"),
    [
        ("ravel", [(2, 3)], {}, "reshape(grad, shape=[2, 3])"),
        ("ravel", [()], {}, "sum(grad)"),
        ("squeeze", [(1, 3, 1)], {"axis": 0}, "reshape(grad, shape=[1, 3, 1])"),
        ("transpose", [(2, 3)], {}, "transpose(grad)"),
        ("transpose", [(2, 3, 4)], {"axes": (2, 0, 1)}, "transpose(grad, axes=[1, 2, 0])"),
        ("flip", [(2, 3)], {"axis": 1}, "flip(grad, axis=1)"),
        ("repeat", [(2, 3)], {"repeats": 2, "axis": 0}, "sum(reshape(grad, shape=[2, 2, 3]), axis=1)"),
        ("repeat", [(3,)], {"repeats": 2}, "sum(reshape(grad, shape=[3, 2]), axis=1)"),
        (
            "repeat",
            [(3,)],
            {"repeats": (2, 0, 1)},
            'reshape(scatter(grad, ravel(x), key="[0, 0, 2]"), shape=[3])',
        ),
        ("repeat", [(2, 3)], {"repeats": (1, 2), "axis": 0}, 'scatter(grad, x, key="[0, 1, 1]")'),
        ("tile", [(2, 3)], {"reps": (2, 1)}, "sum(reshape(grad, shape=[2, 2, 3]), axis=[0])"),
        (
            "tile",
            [(3,)],
            {"reps": (2, 2)},
            "reshape(sum(reshape(grad, shape=[2, 1, 2, 3]), axis=[0, 2]), shape=[3])",
        ),
        ("concat", [(2, 2), (2, 3)], {"axis": 1}, "grad[:, 0:2]"),
        ("stack_axis", [(3,), (3,)], {"axis": 1}, "grad[:, 0]"),
        ("diag", [(3,)], {"k": 1}, "diag(grad, k=1)"),
        ("diag", [(2, 3)], {}, 'scatter(grad, x, key="[0, 1], [0, 1]")'),
        ("trace", [(3, 3)], {}, "diag(diag(pow(x, 0)))"),
        ("trace", [(3, 3)], {"offset": 1}, "triu(tril(pow(x, 0), k=1), k=1)"),
        ("triu", [(3, 3)], {"k": -1}, "triu(grad, k=-1)"),
        ("einsum", [(2, 3), (3, 4)], {"subscripts": "ij,jk->ik"}, 'einsum("ik,jk->ij", grad, b)'),
        ("einsum", [(2, 3)], {"subscripts": "ij->i"}, 'einsum("i,ij->ij", grad, pow(a, 0))'),
        (
            "einsum",
            [(3, 3)],
            {"subscripts": "ii"},
            'scatter(einsum(",ii->i", grad, pow(a, 0)), a, key="[0, 1, 2], [0, 1, 2]")',
        ),
        ("matmul", [(2, 2, 3), (2, 3, 4)], {}, "grad @ transpose(b, axes=[0, 2, 1])"),
        ("matmul", [(2, 3), (2, 3, 4)], {}, "sum(grad @ transpose(b, axes=[0, 2, 1]), axis=[0])"),
        (
            "matmul",
            [(1, 2, 3), (4, 3, 2)],
            {},
            "reshape(sum(grad @ transpose(b, axes=[0, 2, 1]), axis=[0]), shape=[1, 2, 3])",
        ),
        (
            "matmul",
            [(3,), (2, 3, 4)],
            {},
            "reshape(sum(expand_dims(grad, axis=-2) @ transpose(b, axes=[0, 2, 1]), axis=[0]), shape=[3])",
        ),
    ],
)
def test_the_printed_formulas_read_as_written(name, shapes, options, formula):
    inputs = _inputs(shapes)
    assert partial_of(OPS[name], 0).formula_text(*inputs, **options) == formula
