"""Every scalar worked example of the seed notebooks (/work/shared/seeds), through the real CLI.

Each example is checked twice: against the numbers the seed prints (to the digits it prints:
PyTorch shows 4 decimals, so `abs=5e-5`) and against an independent truth computed here (a
closed form, or central finite differences of a plain-Python version of the function).
The contract's seed errata apply: seed 004 prints dh/dx1 from the wrong variable (the truth is
-0.5898) and seed 002 labels J = 2*(a+b*c) but computes 3*(a+b*c) (J = 33).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import run_cli, run_process

from gradcli.api import evaluate
from gradcli.graph import program_names
from gradcli.parse import parse_program

SEED = {"abs": 5e-5}  # the seeds print 4 decimals
FLOAT64 = {"abs": 1e-12}  # seed 003 prints float64 in full


def at_text(at: dict[str, float]) -> str:
    """`--at` text for `at`; repr() round-trips every float64 exactly."""
    return ",".join(f"{name}={value!r}" for name, value in at.items())


def eval_json(source: str, at: dict[str, float], *extra: str) -> dict:
    run = run_cli("eval", source, "--at", at_text(at), "--json", *extra)
    assert run.code == 0, run.err
    data = run.json()
    assert data["schema"] == 1
    assert data["warnings"] == []
    return data


def node(data: dict, name: str) -> dict:
    """The one node called `name` in the JSON."""
    found = [n for n in data["nodes"] if n["name"] == name]
    assert len(found) == 1, f"{len(found)} nodes named {name!r}: {[n['name'] for n in data['nodes']]}"
    return found[0]


def step_edges(data: dict) -> list[tuple[str, str]]:
    names = [n["name"] for n in data["nodes"]]
    return [(names[s["of"]], names[s["wrt"]]) for s in data["steps"]]


def central_differences(f, at: dict[str, float], h: float = 1e-6) -> dict[str, float]:
    """The gradient of the plain-Python function f(**at), by central differences."""
    grads = {}
    for name, value in at.items():
        up, down = dict(at), dict(at)
        up[name], down[name] = value + h, value - h
        grads[name] = (f(**up) - f(**down)) / (2 * h)
    return grads


def assert_consistent(data: dict) -> None:
    """What every worked derivation must satisfy, whatever the example.

    Node names are distinct; every formula parses and, evaluated at the values of the nodes it
    names, gives that node's value (and every step's local formula gives its local); each step's
    contribution is local × upstream; each node's grad is the sum of the steps into it (the sum
    rule); no step leads into a constant; the steps run in reverse creation order.
    """
    nodes = data["nodes"]
    named = [n["name"] for n in nodes if n["op"] != "const"]
    assert len(named) == len(set(named)), named
    values = {n["name"]: n["value"] for n in nodes if n["op"] != "const"}

    def value_of(formula: str) -> float:
        free = program_names(parse_program(formula)).free
        return float(evaluate(formula, {name: values[name] for name in free if name in values}).value)

    for n in nodes:
        if "formula" in n:
            assert value_of(n["formula"]) == pytest.approx(n["value"], rel=1e-12, abs=1e-12), n
    into: dict[int, float] = {}
    for s in data["steps"]:
        assert nodes[s["wrt"]]["op"] != "const", s
        assert s["wrt"] in nodes[s["of"]]["inputs"], s
        assert s["contribution"] == pytest.approx(s["local"] * s["upstream"], rel=1e-12, abs=1e-15), s
        assert value_of(s["local_formula"]) == pytest.approx(s["local"], rel=1e-12, abs=1e-12), s
        into[s["wrt"]] = into.get(s["wrt"], 0.0) + s["contribution"]
    for node_id, total in into.items():
        assert nodes[node_id]["grad"] == pytest.approx(total, rel=1e-12, abs=1e-15), nodes[node_id]
    ofs = [s["of"] for s in data["steps"]]
    assert ofs == sorted(ofs, reverse=True)
    assert nodes[data["output"]]["grad"] == 1.0


# --------------------------------------------------------------------------------------------
# The examples: (source, at, the seed's value, the seed's gradients, a plain-Python truth).
# --------------------------------------------------------------------------------------------

SIGMOID_AT = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}
SIGMOID_PROGRAM = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
NEURON_PROGRAM = "x1w1 = x1*w1; x2w2 = x2*w2; x1w1_x2w2 = x1w1 + x2w2; n = x1w1_x2w2 + b; "

EXAMPLES = {
    "000-1 (a+b)*(b+1)": (
        "(a+b)*(b+1)",
        {"a": 2.0, "b": 1.0},
        6.0,
        {"a": 2.0, "b": 5.0},
        lambda a, b: (a + b) * (b + 1),
    ),
    "000-2 1/(-max(exp(...), w2))": (
        "1/(-1*max(exp(x0*w0+x1*w1), w2))",
        {"x0": 4.0, "w0": 1.0, "x1": -2.0, "w1": 2.0, "w2": 0.5},
        -1.0,
        {"x0": 1.0, "w0": 4.0, "x1": 2.0, "w1": -2.0, "w2": 0.0},
        lambda x0, w0, x1, w1, w2: 1 / (-1 * max(math.exp(x0 * w0 + x1 * w1), w2)),
    ),
    "001 tanh(x)": ("tanh(x)", {"x": 2.0}, 0.9640, {"x": 0.0707}, lambda x: math.tanh(x)),
    "001 tanh(tanh(x))": (
        "tanh(tanh(x))",
        {"x": 2.0},
        0.7461,
        {"x": 0.0313},
        lambda x: math.tanh(math.tanh(x)),
    ),
    "001 y = tanh(x); z = tanh(y)": (
        "y = tanh(x); z = tanh(y)",
        {"x": 2.0},
        0.7461,
        {"x": 0.0313},
        lambda x: math.tanh(math.tanh(x)),
    ),
    "001 w*x+b": (
        "w*x+b",
        {"x": 2.0, "w": 3.0, "b": 4.0},
        10.0,
        {"x": 3.0, "w": 2.0, "b": 1.0},
        lambda x, w, b: w * x + b,
    ),
    "002 J = 3*(a+b*c)": (
        "3*(a+b*c)",
        {"a": 5.0, "b": 3.0, "c": 2.0},
        33.0,
        {"a": 3.0, "b": 6.0, "c": 9.0},
        lambda a, b, c: 3 * (a + b * c),
    ),
    "002 u = b*c; v = a + u; J = 3*v": (
        "u = b*c; v = a + u; J = 3*v",
        {"a": 5.0, "b": 3.0, "c": 2.0},
        33.0,
        {"a": 3.0, "b": 6.0, "c": 9.0},
        lambda a, b, c: 3 * (a + b * c),
    ),
    "002 (w*x - y)^2": (
        "(w*x - y)^2",
        {"w": 1.0, "x": 1.0, "y": 2.0},
        1.0,
        {"w": -2.0},
        lambda w, x, y: (w * x - y) ** 2,
    ),
    "002 yhat = w*x; s = yhat - y; loss = s^2": (
        "yhat = w*x; s = yhat - y; loss = s^2",
        {"w": 1.0, "x": 1.0, "y": 2.0},
        1.0,
        {"w": -2.0},
        lambda w, x, y: (w * x - y) ** 2,
    ),
    "004 sigmoid, one expression": (
        "1/(1+exp(-(w0*x0+w1*x1+w2)))",
        SIGMOID_AT,
        0.7311,
        {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966},
        lambda w0, x0, w1, x1, w2: 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2))),
    ),
    "004 sigmoid, the program": (
        SIGMOID_PROGRAM,
        SIGMOID_AT,
        0.7311,
        {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966},
        lambda w0, x0, w1, x1, w2: 1 / (1 + math.exp(-(w0 * x0 + w1 * x1 + w2))),
    ),
}


@pytest.mark.parametrize("example", EXAMPLES)
def test_seed_numbers(example):
    source, at, seed_value, seed_grads, _truth = EXAMPLES[example]
    data = eval_json(source, at)
    assert data["value"] == pytest.approx(seed_value, **SEED)
    for name, grad in seed_grads.items():
        assert data["gradient"][name] == pytest.approx(grad, **SEED), name
    assert set(data["gradient"]) == set(at)


@pytest.mark.parametrize("example", EXAMPLES)
def test_seed_truth(example):
    """The same examples against the function itself: exact value, finite-difference gradient."""
    source, at, _value, _grads, truth = EXAMPLES[example]
    data = eval_json(source, at)
    assert data["value"] == pytest.approx(truth(**at), rel=1e-14, abs=1e-15)
    expected = central_differences(truth, at)
    assert data["gradient"] == pytest.approx(expected, rel=1e-6, abs=1e-8)
    assert_consistent(data)


# --------------------------------------------------------------------------------------------
# Seed 000
# --------------------------------------------------------------------------------------------


def test_000_example_1_sum_rule_in_the_json():
    data = eval_json("(a+b)*(b+1)", {"a": 2.0, "b": 1.0})
    b = node(data, "b")
    into_b = [s for s in data["steps"] if s["wrt"] == b["id"]]
    assert len(into_b) == 2  # b feeds a+b and b+1
    assert sorted(s["contribution"] for s in into_b) == [2.0, 3.0]  # 1*2*1 + 1*3*1, as the seed writes
    assert sum(s["contribution"] for s in into_b) == b["grad"] == data["gradient"]["b"] == 5.0
    assert node(data, "a")["grad"] == 2.0
    # The seed's intermediates: c = a+b = 3, d = b+1 = 2, e = c*d = 6; de/dc = d = 2, de/dd = c = 3.
    by_formula = {n.get("formula"): n for n in data["nodes"]}
    assert (by_formula["a + b"]["value"], by_formula["a + b"]["grad"]) == (3.0, 2.0)
    assert (by_formula["b + 1"]["value"], by_formula["b + 1"]["grad"]) == (2.0, 3.0)


def test_000_example_1_as_a_user_runs_it():
    """The installed entry point, in its own process."""
    run = run_process("eval", "(a+b)*(b+1)", "--at", "a=2,b=1", "--json")
    assert run.code == 0, run.err
    data = run.json()
    assert (data["value"], data["gradient"]) == (6.0, {"a": 2.0, "b": 5.0})


def test_000_example_2_path_through_max():
    """y4 = max(y3, w2) with y3 = 1 > w2 = 0.5: the whole gradient goes to y3; w2's is exactly 0."""
    data = eval_json(
        "1/(-1*max(exp(x0*w0+x1*w1), w2))", {"x0": 4.0, "w0": 1.0, "x1": -2.0, "w1": 2.0, "w2": 0.5}
    )
    values = {n["op"]: n["value"] for n in data["nodes"] if n["op"] in ("exp", "max", "div")}
    assert values == {"exp": 1.0, "max": 1.0, "div": -1.0}  # the seed's y3, y4, y6
    assert data["gradient"]["w2"] == 0.0
    maximum = next(n for n in data["nodes"] if n["op"] == "max")
    assert "kink" not in maximum  # 1 > 0.5: no tie


# --------------------------------------------------------------------------------------------
# Seed 001
# --------------------------------------------------------------------------------------------


def test_001_inner_tanh_gradient_from_the_json_node():
    data = eval_json("tanh(tanh(x))", {"x": 2.0})
    x = node(data, "x")
    inner = next(n for n in data["nodes"] if n["op"] == "tanh" and n["inputs"] == [x["id"]])
    assert inner["value"] == pytest.approx(0.9640, **SEED)  # the seed's y
    assert inner["grad"] == pytest.approx(0.4434, **SEED)  # dz/dy (auto)
    assert inner["grad"] == pytest.approx(1 - math.tanh(math.tanh(2.0)) ** 2, rel=1e-14)
    assert x["grad"] == pytest.approx(0.0313, **SEED)


def test_001_chain_rule_program_names_y_and_z():
    data = eval_json("y = tanh(x); z = tanh(y)", {"x": 2.0})
    y, z = node(data, "y"), node(data, "z")
    assert data["output"] == z["id"]
    assert (y["formula"], z["formula"]) == ("tanh(x)", "tanh(y)")
    assert y["value"] == pytest.approx(0.9640, **SEED)
    assert y["grad"] == pytest.approx(0.4434, **SEED)
    assert z["value"] == pytest.approx(0.7461, **SEED)
    # dz/dx = dy/dx * dz/dy = sech^2(2) * sech^2(tanh 2), and the seed's 1 - Y**2 = 0.0707
    sech2 = 1 - math.tanh(2.0) ** 2
    assert data["gradient"]["x"] == pytest.approx(sech2 * y["grad"], rel=1e-14)
    assert [s["local_formula"] for s in data["steps"]] == ["1 - z^2", "1 - y^2"]


# --------------------------------------------------------------------------------------------
# Seed 002
# --------------------------------------------------------------------------------------------


def test_002_computation_graph_intermediates():
    data = eval_json("u = b*c; v = a + u; J = 3*v", {"a": 5.0, "b": 3.0, "c": 2.0})
    u, v, j = node(data, "u"), node(data, "v"), node(data, "J")
    assert (u["value"], v["value"], j["value"]) == (6.0, 11.0, 33.0)
    assert (j["grad"], v["grad"], u["grad"]) == (1.0, 3.0, 3.0)  # dJ/dv = 3, dJ/du = 3*1
    assert data["gradient"] == {"b": 6.0, "c": 9.0, "a": 3.0}
    assert (u["formula"], v["formula"], j["formula"]) == ("b * c", "a + u", "3 * v")


@pytest.mark.parametrize(("name", "slope"), [("b", 6.0), ("a", 3.0)])
def test_002_perturbation_experiment(name, slope):
    """The seed's "b = 3 -> 3.001" experiment, run through the CLI: J moves by slope * 0.001.

    (The seed writes 33.0006 and 33.0003; 33.006 and 33.003 are the true values.)
    """
    at = {"a": 5.0, "b": 3.0, "c": 2.0}
    before = eval_json("3*(a+b*c)", at)["value"]
    after = eval_json("3*(a+b*c)", {**at, name: at[name] + 0.001})["value"]
    assert after - before == pytest.approx(slope * 0.001, rel=1e-9)


def test_002_linear_loss_program_as_written():
    """`s = yhat - y` as the seed defines it: s = -1, so dloss/ds = 2s = -2 and dloss/dyhat = -2.

    The seed prints dloss/ds = 2 and ds/dyhat = -1: those are the numbers of s = y - yhat (next
    test); the loss and dloss/dw = 2x(wx - y) = -2 are the same either way.
    """
    data = eval_json("yhat = w*x; s = yhat - y; loss = s^2", {"w": 1.0, "x": 1.0, "y": 2.0})
    yhat, s, loss = node(data, "yhat"), node(data, "s"), node(data, "loss")
    assert (yhat["value"], s["value"], loss["value"]) == (1.0, -1.0, 1.0)
    assert s["grad"] == -2.0  # 2s
    assert yhat["grad"] == -2.0  # the seed's dloss/dyhat
    w, x, y = 1.0, 1.0, 2.0
    assert data["gradient"] == {"w": 2 * x * (w * x - y), "x": 2 * w * (w * x - y), "y": -2 * (w * x - y)}


def test_002_linear_loss_seed_numbers():
    """The seed's printed chain: dloss/ds = 2, ds/dyhat = -1, dloss/dyhat = -2, dloss/dw = -2."""
    data = eval_json("yhat = w*x; s = y - yhat; loss = s^2", {"w": 1.0, "x": 1.0, "y": 2.0})
    s, yhat = node(data, "s"), node(data, "yhat")
    assert s["grad"] == 2.0
    (s_to_yhat,) = [st for st in data["steps"] if (st["of"], st["wrt"]) == (s["id"], yhat["id"])]
    assert (s_to_yhat["local"], s_to_yhat["contribution"]) == (-1.0, -2.0)
    assert yhat["grad"] == -2.0
    assert data["gradient"]["w"] == -2.0


def test_002_exercise_4_2():
    """yhat = w*x + b, loss = (yhat - y)^2 at x=1, y=2, w=1, b=2: r = 1, the gradient 2r*(x, 1, w, -1)."""
    x, y, w, b = 1.0, 2.0, 1.0, 2.0
    data = eval_json("(w*x + b - y)^2", {"x": x, "y": y, "w": w, "b": b})
    r = w * x + b - y
    assert data["value"] == r**2 == 1.0
    assert data["gradient"] == {"w": 2 * r * x, "x": 2 * r * w, "b": 2 * r, "y": -2 * r}


@pytest.mark.parametrize(
    "at",
    [
        {"x": 1.5, "w2": 0.5, "w1": -1.0, "b": 0.25, "y": 2.0},
        {"x": -2.0, "w2": 3.0, "w1": 0.5, "b": -1.0, "y": 0.125},
    ],
)
def test_002_exercise_4_4(at):
    """yhat = x^2 w2 + x w1 + b: dloss/dw1 = 2r x, dloss/dw2 = 2r x^2 (r = yhat - y)."""
    data = eval_json("(x^2*w2 + x*w1 + b - y)^2", at)
    x, w2, w1, b, y = (at[k] for k in ("x", "w2", "w1", "b", "y"))
    r = x**2 * w2 + x * w1 + b - y
    assert data["value"] == pytest.approx(r**2, rel=1e-14)
    expected = {"x": 2 * r * (2 * x * w2 + w1), "w2": 2 * r * x**2, "w1": 2 * r * x, "b": 2 * r, "y": -2 * r}
    assert data["gradient"] == pytest.approx(expected, rel=1e-14)


def test_002_first_sgd_epoch():
    """The seed's loop: w = 1; for (x, y) in (1,2), (2,4), (3,6): grad, then w -= 0.01 * grad."""
    w = 1.0
    printed, losses = [], []
    for x, y in [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]:
        data = eval_json("(x*w - y)^2", {"x": x, "w": w, "y": y}, "--wrt", "w")
        grad = data["gradient"]["w"]
        assert list(data["gradient"]) == ["w"]
        assert grad == pytest.approx(2 * x * (x * w - y), rel=1e-14)
        printed.append(grad)
        losses.append(data["value"])
        w -= 0.01 * grad
    assert printed == pytest.approx([-2.0, -7.84, -16.2288], **SEED)
    # the epoch's last loss, which the seed prints as "process: 0 tensor(7.3159)" (at w = 1.0984)
    assert losses[-1] == pytest.approx(7.3159, **SEED)
    assert w == pytest.approx(1.0984 + 0.162288, rel=1e-14)


# What the seed's loop prints every 5th epoch: the three gradients, then the last sample's loss.
SGD_PRINTED = {
    0: ([-2.0, -7.84, -16.2288], 7.3159),
    5: ([-0.4417, -1.7316, -3.5845], 0.3569),
    10: ([-0.0976, -0.3825, -0.7917], 0.0174),
    15: ([-0.0215, -0.0845, -0.1749], 0.0008),
    20: ([-0.0048, -0.0187, -0.0386], 0.0000),
    25: ([-0.0011, -0.0041, -0.0085], 2.0219e-06),
    30: ([-0.0002, -0.0009, -0.0019], 9.8744e-08),
    35: ([-0.0001, -0.0002, -0.0004], 4.8467e-09),
}


def test_002_whole_sgd_loop():
    """All 40 epochs (120 CLI calls, --brief): every printed gradient to 4 decimals; the losses to
    1% (the seed runs in float32: its late losses, ~1e-8, differ from float64's by up to 0.7%)."""
    w = 1.0
    for epoch in range(40):
        grads = []
        for x, y in [(1.0, 2.0), (2.0, 4.0), (3.0, 6.0)]:
            data = eval_json("(x*w - y)^2", {"x": x, "w": w, "y": y}, "--wrt", "w", "--brief")
            grads.append(data["gradient"]["w"])
            loss = data["value"]
            w -= 0.01 * grads[-1]
        if epoch in SGD_PRINTED:
            printed_grads, printed_loss = SGD_PRINTED[epoch]
            assert grads == pytest.approx(printed_grads, **SEED), epoch
            assert loss == pytest.approx(printed_loss, rel=1e-2, abs=5e-5), epoch
    assert 4 * w == pytest.approx(8.0, abs=1e-4)  # "predict (after training) 4"


# --------------------------------------------------------------------------------------------
# Seed 003: the neuron, float64 in full
# --------------------------------------------------------------------------------------------

# The seed builds b as torch.Tensor([6.8814]).double(): float32 first, so b is 6.881400108337402,
# not 6.8814. Its float64 digits are reproduced from that b; with b = 6.8814 they agree to ~5e-8.
B32 = float(np.float32(6.8814))
NEURON_AT = {"x1": 2.0, "x2": 0.0, "w1": -3.0, "w2": 1.0, "b": B32}
NEURON_O = 0.7071200415967962
NEURON_GRADS = {
    "x1": -1.4999437403164355,
    "x2": 0.49998124677214517,
    "w1": 0.9999624935442903,
    "w2": 0.0,
    "b": 0.49998124677214517,
}
NEURON_SOURCES = {
    "expression": "tanh(x1*w1 + x2*w2 + b)",
    "program": NEURON_PROGRAM + "o = tanh(n)",
    "exp form": NEURON_PROGRAM + "e1 = exp(n); e2 = exp(-1*n); o = (e1 - e2)/(e1 + e2)",
    "seed's names": NEURON_PROGRAM + "exp = exp(n); nexp = exp(-1*n); o = (exp - nexp)/(exp + nexp)",
}


@pytest.mark.parametrize("form", NEURON_SOURCES)
def test_003_neuron_float64(form):
    data = eval_json(NEURON_SOURCES[form], NEURON_AT)
    assert data["value"] == pytest.approx(NEURON_O, **FLOAT64)
    assert data["gradient"] == pytest.approx(NEURON_GRADS, **FLOAT64)
    # closed form: do/dn = 1 - o^2
    n = 2.0 * -3.0 + 0.0 * 1.0 + B32
    do_dn = 1 - math.tanh(n) ** 2
    assert data["gradient"] == pytest.approx(
        {"x1": do_dn * -3.0, "x2": do_dn * 1.0, "w1": do_dn * 2.0, "w2": do_dn * 0.0, "b": do_dn}, rel=1e-13
    )
    assert_consistent(data)


@pytest.mark.parametrize("form", NEURON_SOURCES)
def test_003_neuron_manual_backprop(form):
    """With b = 6.8814 as the seed types it: o = 0.7071, do/dn = 0.5, and the seed's hand numbers."""
    data = eval_json(NEURON_SOURCES[form], {**NEURON_AT, "b": 6.8814})
    assert data["value"] == pytest.approx(0.7071, **SEED)
    manual = {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}  # from do/dn rounded to 0.5
    assert data["gradient"] == pytest.approx(manual, abs=1e-4)


def test_003_program_names_are_the_seeds():
    data = eval_json(NEURON_SOURCES["program"], NEURON_AT)
    formulas = {n["name"]: n.get("formula") for n in data["nodes"]}
    assert formulas == {
        "x1": None,
        "w1": None,
        "x1w1": "x1 * w1",
        "x2": None,
        "w2": None,
        "x2w2": "x2 * w2",
        "x1w1_x2w2": "x1w1 + x2w2",
        "b": None,
        "n": "x1w1_x2w2 + b",
        "o": "tanh(n)",
    }
    grads = {name: node(data, name)["grad"] for name in ("n", "x1w1_x2w2", "x1w1", "x2w2")}
    assert grads == pytest.approx(dict.fromkeys(grads, 0.5), abs=1e-4)  # the seed's 0.5 everywhere
    assert node(data, "o")["grad"] == 1.0


def test_003_a_node_called_exp():
    """`exp = exp(n)`: a name followed by `(` is a call, any other is a variable; the node keeps the
    seed's name `exp`, and the formulas that read it still parse."""
    data = eval_json(NEURON_SOURCES["seed's names"], NEURON_AT)
    exp, nexp, n = node(data, "exp"), node(data, "nexp"), node(data, "n")
    assert (exp["op"], exp["formula"], exp["inputs"]) == ("exp", "exp(n)", [n["id"]])
    assert nexp["op"] == "exp" and nexp["formula"].startswith("exp(")
    assert exp["value"] == pytest.approx(math.exp(2.0 * -3.0 + B32), rel=1e-14)
    assert nexp["value"] == pytest.approx(math.exp(-(2.0 * -3.0 + B32)), rel=1e-14)
    o = node(data, "o")
    readers = [m for m in data["nodes"] if exp["id"] in m.get("inputs", [])]
    assert sorted(m["formula"] for m in readers) == ["exp + nexp", "exp - nexp"]
    assert o["formula"].count("/") == 1
    assert data["output"] == o["id"]
    # two steps into `exp` (it feeds the numerator and the denominator): the sum rule
    into_exp = [s for s in data["steps"] if s["wrt"] == exp["id"]]
    assert len(into_exp) == 2
    assert exp["grad"] == pytest.approx(sum(s["contribution"] for s in into_exp), rel=1e-14)


# --------------------------------------------------------------------------------------------
# Seed 004: the sigmoid, step by step
# --------------------------------------------------------------------------------------------

# (of, wrt, local formula, local, upstream, contribution) as in /work/shared/examples/derivation-sketch.md
SIGMOID_STEPS = [
    ("h", "g", "-1/g^2", -0.5344, 1.0, -0.5344),
    ("g", "f", "1", 1.0, -0.5344, -0.5344),
    ("f", "e", "exp(e)", 0.3679, -0.5344, -0.1966),
    ("e", "d", "-1", -1.0, -0.1966, 0.1966),
    ("d", "c", "1", 1.0, 0.1966, 0.1966),
    ("d", "w2", "1", 1.0, 0.1966, 0.1966),
    ("c", "a", "1", 1.0, 0.1966, 0.1966),
    ("c", "b", "1", 1.0, 0.1966, 0.1966),
    ("b", "w1", "x1", -2.0, 0.1966, -0.3932),
    ("b", "x1", "w1", -3.0, 0.1966, -0.5898),
    ("a", "w0", "x0", -1.0, 0.1966, -0.1966),
    ("a", "x0", "w0", 2.0, 0.1966, 0.3932),
]


def test_004_forward_values_by_name():
    data = eval_json(SIGMOID_PROGRAM, SIGMOID_AT)
    seed = {"a": -2.0, "b": 6.0, "c": 4.0, "d": 1.0, "e": -1.0, "f": 0.3679, "g": 1.3679, "h": 0.7311}
    values = {name: node(data, name)["value"] for name in seed}
    assert values == pytest.approx(seed, **SEED)
    # the user's e shadows the constant e: f = exp(-1), not exp(2.718...)
    assert values["f"] == math.exp(-1.0)
    assert not any(n["op"] == "const" and n["name"] == "e" for n in data["nodes"])
    assert values["h"] == pytest.approx(1 / (1 + math.exp(-1.0)), rel=1e-15)
    assert data["output"] == node(data, "h")["id"]


def test_004_the_twelve_steps():
    data = eval_json(SIGMOID_PROGRAM, SIGMOID_AT)
    assert step_edges(data) == [(of, wrt) for of, wrt, *_ in SIGMOID_STEPS]
    for step, expected in zip(data["steps"], SIGMOID_STEPS, strict=True):
        of, wrt, formula, local, upstream, contribution = expected
        where = f"{of} -> {wrt}"
        assert step["local_formula"] == formula, where
        assert step["local"] == pytest.approx(local, **SEED), where
        assert step["upstream"] == pytest.approx(upstream, **SEED), where
        assert step["contribution"] == pytest.approx(contribution, **SEED), where
    # exact chain: dh/dg = -1/g^2, dh/dd = sigma'(1) = sigma(1)(1 - sigma(1))
    g = 1 + math.exp(-1.0)
    assert data["steps"][0]["local"] == pytest.approx(-1 / g**2, rel=1e-15)
    sigma = 1 / g
    assert node(data, "d")["grad"] == pytest.approx(sigma * (1 - sigma), rel=1e-14)
    assert_consistent(data)  # includes: no step into the constant 1 of g = 1 + f


def test_004_erratum_x1():
    """The seed prints dh/dx1 = w1.grad = -0.3932; the true dh/dx1 = w1 * sigma' = -0.5898."""
    data = eval_json(SIGMOID_PROGRAM, SIGMOID_AT)
    sigma = 1 / (1 + math.exp(-1.0))
    assert data["gradient"]["x1"] == pytest.approx(-3.0 * sigma * (1 - sigma), rel=1e-14)
    assert data["gradient"]["x1"] == pytest.approx(-0.5898, **SEED)
    assert data["gradient"]["x1"] != pytest.approx(-0.3932, abs=1e-2)


def test_004_program_and_expression_agree():
    program = eval_json(SIGMOID_PROGRAM, SIGMOID_AT)
    expression = eval_json("1/(1+exp(-(w0*x0+w1*x1+w2)))", SIGMOID_AT)
    assert program["value"] == expression["value"]
    assert program["gradient"] == expression["gradient"]
    assert [s["local_formula"] for s in expression["steps"]][:4] == ["-1/v7^2", "1", "exp(v5)", "-1"]
    assert len(expression["steps"]) == 12


def test_004_as_a_user_runs_it():
    """The seed's sigmoid through the installed entry point, in the text format."""
    run = run_process("eval", SIGMOID_PROGRAM, "--at", "w0=2,x0=-1,w1=-3,x1=-2,w2=-3", "--format", "text")
    assert run.code == 0, run.err
    result = run.out.split("Result", 1)[1].split()
    for token in ["h", "0.7311", "∂h/∂w0", "-0.1966", "∂h/∂x0", "0.3932", "∂h/∂w1", "-0.3932"]:
        assert token in result, token
    assert "-0.5898" in result and "0.1966" in result
    assert "∂h/∂g = -1/g^2" in run.out and "∂f/∂e = exp(e)" in run.out
