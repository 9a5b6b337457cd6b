"""Every row of the op table differentiated twice: the Hessian of `sum(sin(op(...)))` over array
inputs against central differences of the gradient, by reverse mode and by forward mode.

Parametrized over `gradcli.ops.OPS` (with the sample inputs tests/test_ops.py draws in each op's
domain, in every shape its check accepts, broadcast pairs included), so a new row is
differentiated twice the moment it is added: its printed formula must be what its rule
computes (diff checks each step), and differentiating that formula again must give the
derivative of the gradient. The sine around the op makes even a linear op's Hessian depend on
its Jacobian (J^T diag(-sin) J), so a wrong vjp formula shows. Reverse mode, forward mode and
`hessian` give the same gradient (the property test of the edges issue, over arrays).
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest
from test_ops import WHOLE_NUMBER_INPUTS, at_kink, input_sets

from gradcli.api import GradcliError, evaluate, hessian
from gradcli.ops import FUNCTIONS, OPS, VARIADIC_FUNCTIONS

# Sources written by hand: ops whose inputs are not all free arrays, or whose key is an option.
HANDWRITTEN = {
    "index": ("a0[1, 2]", [(2, 3)]),
    "slice": ("a0[1:3] * a0[::-1][:2]", [(4,)]),
    "onehot": ("onehot(a0, 2) * a0", [(3,)]),
    "onehot2": ("onehot(a0, 1, 0) * a0", [(2, 3)]),
    "stack": ("[a0, a1 * a0, a2]", [(3,), (3,), (3,)]),
    "where": ("where(a0 > 0.5, a1 * a0, a2 ^ 2)", [(4,), (4,), (4,)]),
    "scatter": ('scatter(a0, a1, key="1:3") * a1', [(2,), (4,)]),
    # Rows of other branches that take no generic test (used once they are in the table).
    "trace": ("trace(a0) * a0 + trace(a0, offset=1)", [(3, 3)]),
    "triu": ("triu(a0) * a0 + triu(a0, k=1)", [(3, 4)]),
    "tril": ("tril(a0, k=-1) * a0", [(3, 4)]),
}


def _rule_defaults(op) -> dict[str, object]:
    """The options' defaults the forward rule itself declares, where the row's are empty."""
    parameters = inspect.signature(op.forward).parameters
    return {
        name: parameters[name].default
        for name, default in op.options
        if default == "" and name in parameters and parameters[name].default is not inspect.Parameter.empty
    }


def call_text(op, inputs) -> str:
    """`op` applied to variables a0, a1, ... as the source writes it (index positions, whole
    numbers, are written as numbers; a list of inputs in brackets; a leading string option,
    einsum's subscripts, as its default)."""
    whole = WHOLE_NUMBER_INPUTS.get(op.name, set())
    args = [f"{int(x)}" if k in whole else f"a{k}" for k, x in enumerate(inputs)]
    if op.infix:
        return f"({args[0]} {op.symbol} {args[1]})"
    if op.name == "neg":
        return f"(-{args[0]})"
    if op.variadic:
        assert VARIADIC_FUNCTIONS.get(op.symbol) is op, op.name
        # A row may leave a leading string empty (einsum's must be written): its rules' default.
        defaults = {**dict(op.options), **_rule_defaults(op)}
        leading = [f'"{defaults[name]}"' for name in op.leading]
        inputs_text = f"[{', '.join(args)}]" if op.sequence else ", ".join(args)
        return f"{op.symbol}({', '.join([*leading, inputs_text])})"
    assert FUNCTIONS.get((op.symbol, op.arity)) is op, op.name
    return f"{op.symbol}({', '.join(args)})"


def cases() -> list[tuple[str, str, dict[str, np.ndarray]]]:
    """(op name, source, values): each op on the sample inputs of test_ops (two shape sets at
    most), or by hand; a sample at a kink is left out (the derivative there is a convention)."""
    found = []
    for name in sorted(OPS):
        op = OPS[name]
        if name in HANDWRITTEN:
            text, shapes = HANDWRITTEN[name]
            rng = np.random.default_rng([7, *map(ord, name)])
            values = {f"a{k}": rng.uniform(0.2, 1.5, size=shape) for k, shape in enumerate(shapes)}
            found.append((name, f"sum(sin({text}))", values))
            continue
        if not op.generic_test:
            continue
        kept = 0
        for seed in range(6):
            for inputs in input_sets(op, seed):
                if kept >= 3 or at_kink(op, inputs):
                    continue
                whole = WHOLE_NUMBER_INPUTS.get(op.name, set())
                values = {f"a{k}": x for k, x in enumerate(inputs) if k not in whole}
                found.append((name, f"sum(sin({call_text(op, inputs)}))", values))
                kept += 1
    return found


def _option_calls(op) -> list[str]:
    """Calls of an op with options, as numpy writes them (along an axis, kept, a list of axes)."""
    names = op.option_names
    calls = []
    if "axis" in names:
        calls += [f"{op.symbol}(a0, axis=1)", f"{op.symbol}(a0, axis=-2)"]
        if "keepdims" in names:
            calls += [f"{op.symbol}(a0, axis=0, keepdims=1)", f"{op.symbol}(a0, axis=[0, 1])"]
    if "ddof" in names:
        calls += [f"{op.symbol}(a0, axis=1, ddof=1)", f"{op.symbol}(a0, ddof=1, keepdims=1)"]
    if "shape" in names:
        calls += [f"{op.symbol}(a0, [3, 2]) @ [1, 2]"]
    return calls


def _fits(source: str, values: dict) -> bool:
    """The options fit a (2, 3) array (squeeze's axis must have length 1)."""
    try:
        evaluate(source, values, record_steps=False)
    except GradcliError:
        return False
    return True


def option_cases() -> list[tuple[str, str, dict[str, np.ndarray]]]:
    """The ops with options, on a (2, 3) array; the elementwise ops of two inputs with both
    broadcast ((2, 1) against (1, 3): the gradients are summed along kept axes)."""
    found = []
    for name in sorted(OPS):
        op = OPS[name]
        rng = np.random.default_rng([11, *map(ord, name)])
        lo, hi = op.domain
        if op.options and op.generic_test and op.arity == 1:
            for call in _option_calls(op):
                values = {"a0": rng.uniform(lo, hi, size=(2, 3))}
                if _fits(f"sum(sin({call}))", values):
                    found.append((name, f"sum(sin({call}))", values))
        elif op.pointwise and op.generic_test and op.arity == 2:
            values = {"a0": rng.uniform(lo, hi, size=(2, 1)), "a1": rng.uniform(lo, hi, size=(1, 3))}
            if not at_kink(op, list(values.values())):
                found.append((name, f"sum(sin({call_text(op, [0, 0])}))", values))
    return found


CASES = cases() + option_cases()


def flat_gradient(source: str, values: dict, names: tuple[str, ...], mode: str) -> np.ndarray:
    result = evaluate(source, values, record_steps=False, mode=mode)
    return np.concatenate([np.ravel(result.gradient[name]) for name in names])


def differences(source: str, values: dict, names: tuple[str, ...], mode: str) -> np.ndarray:
    """Column j: the derivative of the gradient by element j, a fourth-order central difference."""
    columns = []
    for name in names:
        base = np.asarray(values[name], dtype=np.float64)
        for k in range(base.size):
            h = 1e-4 * max(1.0, abs(float(base.flat[k])))

            def at(offset: float, name=name, base=base, k=k) -> np.ndarray:
                moved = base.copy()
                moved.flat[k] += offset
                return flat_gradient(source, {**values, name: moved}, names, mode)

            columns.append((at(-2 * h) - 8 * at(-h) + 8 * at(h) - at(2 * h)) / (12 * h))
    return np.array(columns).T


def test_every_op_is_sampled():
    assert {name for name, _, _ in CASES} == {
        name for name, op in OPS.items() if op.generic_test or name in HANDWRITTEN
    }


@pytest.mark.parametrize(("name", "source", "values"), CASES, ids=[f"{c[0]}:{c[1]}" for c in CASES])
def test_hessian_is_the_derivative_of_the_gradient_in_both_modes(name, source, values):
    result = hessian(source, values)
    reverse = evaluate(source, values, record_steps=False)
    forward = evaluate(source, values, record_steps=False, mode="forward")
    for variable in values:
        np.testing.assert_allclose(result.gradient[variable], reverse.gradient[variable], rtol=1e-13)
        expected = reverse.gradient[variable]
        np.testing.assert_allclose(forward.gradient[variable], expected, rtol=1e-9, atol=1e-12)
    matrix = result.matrix
    assert matrix.shape == (sum(np.size(v) for v in values.values()),) * 2
    assert np.all(np.isfinite(matrix)), result.warnings
    scale = max(1.0, float(np.max(np.abs(matrix))))
    np.testing.assert_allclose(matrix, matrix.T, atol=1e-12 * scale)
    for mode in ("reverse", "forward"):
        expected = differences(source, values, result.variables, mode)
        np.testing.assert_allclose(matrix, expected, atol=2e-6 * scale, err_msg=mode)
