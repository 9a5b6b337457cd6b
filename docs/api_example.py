"""gradcli from Python: one point, a compiled program, many points at once, errors.

Run it: `python docs/api_example.py` (tests/test_api.py does, and checks what it prints).
"""

import numpy as np

import gradcli

# One point: the whole worked derivation, as `gradcli eval` shows it.
result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
print(result.value, result.gradient["a"], result.gradient["b"])  # 6.0 2.0 5.0
print(len(result.nodes), "nodes,", len(result.steps), "backward steps")  # 6 nodes, 5 backward steps
markdown = result.to_markdown()  # also .to_latex(), .to_text(), .to_json(); Jupyter shows the Markdown

# Parse once, evaluate often: a compiled program is called like gradcli.evaluate.
neuron = gradcli.compile("1/(1 + exp(-(w0*x0 + w1*x1 + w2)))")
at_seed = neuron(w0=2, x0=-1, w1=-3, x1=-2, w2=-3)
print(round(float(at_seed.value), 4), round(float(at_seed.gradient["x1"]), 4))  # 0.7311 -0.5898

# Many points in one vectorised pass: the batch axis in front. `at` fixes shared values.
rng = np.random.default_rng(0)
x = rng.normal(size=(1000, 2))
batch = neuron.batch({"x0": x[:, 0], "x1": x[:, 1]}, {"w0": 2, "w1": -3, "w2": -3})
print(batch.value.shape, batch.gradient["w0"].shape)  # (1000,) (1000,)
assert np.isclose(batch.gradient["w0"][7], neuron(batch.at(7)).gradient["w0"])
first = batch.derivation(0)  # the worked derivation at one of the points

# Bad input raises gradcli.GradcliError: the message and position the CLI prints.
try:
    gradcli.evaluate("2*x +", x=1)
except gradcli.GradcliError as error:
    print(error.span.line, error.span.column)  # 1 5
    print(error.render())
