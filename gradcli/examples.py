"""The worked examples of the seed notebooks (and, as a sixth group, those of a deep-learning
course: a batch with cross-entropy, a layer norm, an MLP, attention), each as a gradcli
command: the one list that `gradcli demo` runs (reading it through `api.seed_examples()`) and
`docs/build.py` turns into docs/seeds.md, so the two cannot drift. This module is data (the
records are in records/examples.py); which examples this gradcli can run is the CLI's to say
(cli/cmd_demo.py).
"""

from __future__ import annotations

from .records.examples import Example, SeedExamples, shell_join

__all__ = ["DEFAULT_DEMO", "EXAMPLES", "SEEDS", "SEED_EXAMPLES", "Example", "SeedExamples", "shell_join"]

SEEDS = {
    0: "Automatic differentiation and backpropagation (PyTorch, two graphs and an nn.Linear neuron)",
    1: "Neural networks in PyTorch, chapter 2: automatic differentiation",
    2: "Back-propagation and autograd (computation graph, linear loss, a training loop)",
    3: "A micrograd-style Value class: manual and automated backpropagation of a tanh neuron",
    4: "Autograd of a sigmoid neuron, step by step",
    # Not a notebook: the worked examples a deep-learning course asks for (issue 16).
    5: "Beyond the seeds: a deep-learning course (a batch, a layer norm, an MLP, attention)",
}

SIGMOID = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
SIGMOID_AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
MAX_PROGRAM = "y0 = x0*w0; y1 = x1*w1; y2 = y0 + y1; y3 = exp(y2); y4 = max(y3, w2); y5 = -1*y4; y6 = 1/y5"
NEURON_003 = "x1w1 = x1*w1; x2w2 = x2*w2; x1w1_x2w2 = x1w1 + x2w2; n = x1w1_x2w2 + b; o = tanh(n)"
NEURON_003_AT = "x1=2,x2=0,w1=-3,w2=1,b=6.8814"
LINEAR_000_AT = "w=[[-0.2819,-0.1359,0.4542,0.1628]],b=[0.4950],x=[1,2,3,4]"
# A batch of 4 samples with 2 features (the course examples share it).
BATCH_X = "X=[[1,2],[0.5,-1],[0,0.5],[-2,1]]"
SOFTMAX_REGRESSION_AT = BATCH_X + ",W=[[0.1,0.2,-0.3],[0.4,-0.5,0.6]],b=[0.1,0,-0.1],y=[2,0,1,1]"
LAYER_NORM = (
    "h = (x - mean(x, axis=-1, keepdims=1)) / sqrt(var(x, axis=-1, keepdims=1) + 1e-5) * g + b; mse(h, t)"
)
LAYER_NORM_AT = "x=[[1,2,4],[0.5,-1,0]],g=[1,0.5,2],b=[0,0.1,-0.1],t=[[0,0,1],[1,0,0]]"
MLP = "z = X @ W1 + b1; h = where(z > 0, z, 0.01*z); yhat = h @ W2 + b2; mse(yhat, y)"
MLP_AT = (
    BATCH_X + ",W1=[[0.5,-0.3,0.8],[0.2,0.4,-0.6]],b1=[0.1,-0.25,0],W2=[1,-0.5,0.3],b2=0.2,y=[1,0,0.5,-1]"
)
ATTENTION = "A = softmax(Q @ transpose(K) / sqrt(d), axis=-1); sum(A @ V)"
ATTENTION_AT = "Q=[[1,0],[0.5,-1]],K=[[0.2,0.4],[-0.3,0.8],[1,-0.5]],V=[[1,2],[0,-1],[0.5,0.5]],d=2"

EXAMPLES: tuple[Example, ...] = (
    # --- beyond the seeds: a deep-learning course (tests/test_course_examples.py checks each) -----
    # First in the list (their section of docs/seeds.md comes last, after the seeds: SEEDS's
    # order): `gradcli demo NAME`'s hint lists the names and the error printer keeps only the
    # start and the end of a long line, which must keep showing sum-rule and sigmoid.
    Example(
        "softmax-regression",
        5,
        "Softmax regression on a batch",
        "the mean cross-entropy of a linear classifier, cross_entropy(X @ W + b, y), over a batch of "
        "4 samples with 2 features and 3 classes, and its gradients with respect to W and b",
        ("eval", "cross_entropy(X @ W + b, y)", "--at", SOFTMAX_REGRESSION_AT, "--wrt", "W,b"),
        "the cross-entropy step is the textbook one, grad * (softmax(v2, axis=-1) - onehot(y, "
        "num_classes=3))/4, and the class indices y get no gradient, as in PyTorch",
    ),
    Example(
        "layer-norm",
        5,
        "A layer norm",
        "normalises each row of x by its mean and variance along the last axis, scales by g and "
        "shifts by b, then an mse loss against a target t: gradients of x, g and b",
        ("eval", LAYER_NORM, "--at", LAYER_NORM_AT, "--wrt", "x,g,b"),
        "x reaches the loss along three paths (through the mean, the variance and x - mean), and the "
        "sum rule at x adds them up; the variance's step is 2*(x - mean)/n as a formula",
    ),
    Example(
        "mlp-where",
        5,
        "A two-layer MLP with a leaky ReLU written with where",
        "z = X @ W1 + b1, h = where(z > 0, z, 0.01*z), yhat = h @ W2 + b2 and the mse against y, "
        "over the batch of 4: gradients of both layers",
        ("eval", MLP, "--at", MLP_AT, "--wrt", "W1,b1,W2,b2"),
        "where sends the gradient into the chosen branch only (a mask, never 0 × the other branch), "
        "and the comparison z > 0 gets none",
    ),
    Example(
        "attention",
        5,
        "One-head attention",
        "softmax(Q @ transpose(K) / sqrt(d), axis=-1) @ V for 2 queries and 3 keys of size d = 2, "
        "summed to one number: gradients of Q, K and V",
        ("eval", ATTENTION, "--at", ATTENTION_AT, "--wrt", "Q,K,V"),
        "every product is a vector-Jacobian step over grad (grad @ transpose(V), transpose(A) @ grad) "
        "and softmax's is A * (grad - sum(grad * A, axis=-1, keepdims=1))",
    ),
    # --- seed 000 ---------------------------------------------------------------------------
    Example(
        "sum-rule",
        0,
        "Example 1",
        "out = (a+b)*(b+1) at a=2, b=1: value 6, gradients 2 and 5 by the chain and sum rules",
        ("eval", "c = a + b; d = b + 1; e = c*d", "--at", "a=2,b=1", "--paths"),
        "every edge of the backward pass, the sum at b (3 + 2 = 5) and each gradient as a sum over "
        "the paths of the graph; the notebook shows these as a hand-drawn picture",
    ),
    Example(
        "sum-rule-graph",
        0,
        "Example 1, computational graph",
        "the picture of the graph of (a+b)*(b+1), with each node's gradient",
        ("graph", "c = a + b; d = b + 1; e = c*d", "--at", "a=2,b=1"),
        "the picture is drawn from the same graph the gradients are computed on, not by hand",
        picture="docs/seeds-000-sum-rule.png",
    ),
    Example(
        "max-neuron",
        0,
        "Example 2",
        "out = 1/(-1*max(exp(x0*w0 + x1*w1), w2)) at x0=4, w0=1, x1=-2, w1=2, w2=0.5: "
        "value -1, gradients 1, 4, 2, -2, 0",
        ("eval", MAX_PROGRAM, "--at", "x0=4,w0=1,x1=-2,w1=2,w2=0.5"),
        "the full chain-rule table with the notebook's own names y0..y6, where the notebook "
        "multiplies the local derivatives by hand",
        erratum="the notebook labels its last chain ∂out/∂w1; it is ∂out/∂w2 (= 0, as printed)",
    ),
    Example(
        "max-neuron-graph",
        0,
        "Example 2, computational graph",
        "the picture of the graph of example 2, with each node's gradient",
        ("graph", MAX_PROGRAM, "--at", "x0=4,w0=1,x1=-2,w1=2,w2=0.5"),
        "drawn from the graph itself; max shows which argument the gradient went to",
        picture="docs/seeds-000-max-neuron.png",
    ),
    Example(
        "max-kink",
        0,
        "Example 2, at a kink (beyond the notebook)",
        "example 2 again with w2 = 1, where max(exp(0), w2) is a tie and not differentiable",
        ("check", MAX_PROGRAM, "--at", "x0=4,w0=1,x1=-2,w1=2,w2=1"),
        "the notebook never meets the kink; gradcli's check compares each gradient with finite "
        "differences and, at the tie, reports both one-sided derivatives and PyTorch's convention",
    ),
    Example(
        "linear-tanh",
        0,
        "PyTorch module example",
        "tanh(nn.Linear(4,1)(x)) with the printed weights, x = [1,2,3,4]: output 0.9607, "
        "gradients of the weights and the bias",
        ("eval", "tanh(w @ x + b)", "--at", LINEAR_000_AT, "--wrt", "w,b"),
        "the backward pass through @ as a vector-Jacobian product (outer(grad, x)), where the "
        "notebook prints only the gradients",
    ),
    # --- seed 001 ---------------------------------------------------------------------------
    Example(
        "tanh",
        1,
        "1. Automatic differentiation (also nn.Tanh)",
        "Y = tanh(x) at x = 2: Y = 0.9640, dY/dx = 0.0707",
        ("eval", "tanh(x)", "--at", "x=2"),
        "shows the rule it used, dY/dx = 1 - Y^2, with its value",
    ),
    Example(
        "tanh-formula",
        1,
        "1. sech²(x) and 1 − Y² by hand",
        "checks the derivative against the formulas sech²(x) and 1 − tanh²(x)",
        ("diff", "tanh(x)"),
        "prints the derivative as a formula from the same rules reverse mode uses: 1 - tanh(x)^2",
    ),
    Example(
        "tanh-chain",
        1,
        "2. Chain rule (also nn.Sequential of two Tanh)",
        "y = tanh(x), z = tanh(y) at x = 2: z = 0.7461, dz/dy = 0.4434, dz/dx = 0.0313",
        ("eval", "y = tanh(x); z = tanh(y)", "--at", "x=2"),
        "dz/dy (what retain_grad shows) is the upstream gradient of step 2, and the product "
        "dz/dy · dy/dx is written out",
    ),
    Example(
        "linear",
        1,
        "3. Layers with learnable parameters",
        "y = w*x + b at x=2, w=3, b=4: y = 10, dy/dx = w = 3, dy/dw = x = 2, dy/db = 1",
        ("eval", "y = w*x + b", "--at", "x=2,w=3,b=4"),
        "each local derivative is shown as a formula (w, x, 1) and as a number",
    ),
    Example(
        "linear-layer",
        1,
        "4. Layers with multiple parameters",
        "Y = W·X + B: ∂Y_i/∂X_j = W_ij, ∂Y_k/∂W_ij = δ_ki X_j, ∂Y_i/∂B_i = 1, stated without numbers",
        ("eval", "W @ X + B", "--at", "W=[[1,2,3],[4,5,6]],X=[1,-1,2],B=[0.5,-0.5]", "--brief"),
        "the whole Jacobians at a point, shape output.shape + variable.shape: ∂Y/∂X is W, "
        "∂Y/∂W holds δ_ki X_j, ∂Y/∂B is the identity",
    ),
    Example(
        "tanh-layer-jacobian",
        1,
        "5. Example exercise",
        "left as an exercise: the partial derivatives of Y = tanh(W·X + B) with respect to W and B",
        (
            "eval",
            "tanh(W @ X + B)",
            "--at",
            "W=[[0.1,0.2,0.3],[0.4,0.5,0.6]],X=[1,2,3],B=[0.1,-0.2]",
            "--wrt",
            "W,B",
            "--brief",
        ),
        "answers the exercise: ∂Y_k/∂W_ij = δ_ki X_j (1 − Y_k²) and ∂Y_k/∂B_i = δ_ki (1 − Y_k²), as numbers",
    ),
    # --- seed 002 ---------------------------------------------------------------------------
    Example(
        "computation-graph",
        2,
        "Computation graph",
        "J = 3*(a + b*c) through u = b*c, v = a + u at a=5, b=3, c=2: J = 33, ∂J/∂a = 3, ∂J/∂b = 6",
        ("eval", "u = b*c; v = a + u; J = 3*v", "--at", "a=5,b=3,c=2"),
        "all three gradients at once (∂J/∂c = 9, which the notebook does not compute)",
        erratum="the notebook's heading says J = 2*(a + b*c), but it computes 3*(a + b*c): J = 33",
    ),
    Example(
        "nudge-u",
        2,
        "Computation graph: when u = 6 → 6.001",
        "nudges u by 0.001 and follows v and J: J goes from 33 to 33.003",
        ("check", "u = b*c; v = a + u; J = 3*v", "--at", "a=5,b=3,c=2", "--perturb", "u=0.001"),
        "every node's change, the finite-difference estimate and the reverse-mode derivative side by side",
    ),
    Example(
        "nudge-b",
        2,
        "Computation graph: when b = 3 → 3.001",
        "nudges b by 0.001: u → 6.002, v → 11.002, J → 33.006, so ∂J/∂b ≈ 6",
        ("check", "u = b*c; v = a + u; J = 3*v", "--at", "a=5,b=3,c=2", "--perturb", "b=0.001"),
        "the same narration computed, not typed, with reverse mode's 6 beside the estimate",
    ),
    Example(
        "linear-loss",
        2,
        "Computation graph for linear loss function",
        "loss = (w*x - y)^2 through ŷ = w*x, s = ŷ - y at x=1, y=2, w=1: loss = 1, ∂loss/∂w = -2",
        ("eval", "yhat = w*x; s = yhat - y; loss = s^2", "--at", "x=1,y=2,w=1"),
        "the gradients of x and y too, and each step's formula (2*s, -1, x)",
    ),
    Example(
        "exercise-4-2",
        2,
        "Exercise 4.2",
        "left as an exercise: loss = (w*x + b - y)^2 at x=1, y=2, w=1, b=2",
        ("eval", "yhat = w*x + b; loss = (yhat - y)^2", "--at", "x=1,y=2,w=1,b=2"),
        "answers it: loss = 1, ∂loss/∂w = 2, ∂loss/∂b = 2, with every step",
    ),
    Example(
        "training-loop",
        2,
        "Data and Variable: the training loop",
        "fits y = w*x to x = [1,2,3], y = [2,4,6] by stochastic gradient descent from w = 1, "
        "lr 0.01, 40 epochs, printing every 5th, then predicts at x = 4",
        (
            "descend",
            "yhat = x*w; (yhat - y)^2",
            "--data",
            "x=[1,2,3],y=[2,4,6]",
            "--params",
            "w=1",
            "--lr",
            "0.01",
            "--epochs",
            "40",
            "--every",
            "5",
            "--predict",
            "x=4",
        ),
        "the loss table per epoch and the prediction the notebook's last line leaves empty",
    ),
    Example(
        "exercise-4-3",
        2,
        "Exercise 4.3",
        "implement the computational graph and backprop in NumPy",
        pending="a programming exercise, not a computation: gradcli is such an implementation",
    ),
    Example(
        "exercise-4-4",
        2,
        "Exercise 4.4",
        "left as an exercise: ∂loss/∂w1 and ∂loss/∂w2 of loss = (x^2*w2 + x*w1 + b - y)^2",
        ("diff", "(x^2*w2 + x*w1 + b - y)^2", "--wrt", "w1,w2"),
        "answers it as formulas: ∂loss/∂w1 = 2x(ŷ − y), ∂loss/∂w2 = 2x²(ŷ − y)",
    ),
    # --- seed 003 ---------------------------------------------------------------------------
    Example(
        "value-class",
        3,
        "The Value class",
        "defines a Value class with +, *, pow, tanh, exp and their backward rules",
        pending="code, not a computation: gradcli's op table (gradcli/ops/) holds the same rules",
    ),
    Example(
        "neuron-graph",
        3,
        "Manual backpropagation: o.draw_dot()",
        "draws the graph of o = tanh(x1*w1 + x2*w2 + b) at x1=2, x2=0, w1=-3, w2=1, b=6.8814",
        ("graph", NEURON_003, "--at", NEURON_003_AT),
        "the gradients are filled in by reverse mode, not typed in as the notebook does",
        picture="docs/seeds-003-neuron.png",
    ),
    Example(
        "neuron",
        3,
        "Manual backpropagation",
        "works back from o = 0.7071: ∂o/∂n = 0.5, ∂o/∂b = 0.5, ∂o/∂w1 = 1, ∂o/∂x1 = -1.5, "
        "∂o/∂w2 = 0, ∂o/∂x2 = 0.5",
        ("eval", NEURON_003, "--at", NEURON_003_AT),
        "every step of the hand derivation in one table, with the notebook's names",
        erratum="the notebook's cell 20 types x1w1.grad = 0 into the picture; its own derivation "
        "(and gradcli) gives ∂o/∂x1w1 = 0.5",
    ),
    Example(
        "neuron-exp",
        3,
        "Automated backpropagation",
        "the same neuron with tanh written as (exp(n) - exp(-n))/(exp(n) + exp(-n)), "
        "back-propagated by the Value class",
        (
            "eval",
            "n = x1*w1 + x2*w2 + b; exp = exp(n); nexp = exp(-1*n); o = (exp - nexp)/(exp + nexp)",
            "--at",
            NEURON_003_AT,
        ),
        "the sum rule at exp, nexp and n, where two paths meet, is shown step by step",
    ),
    Example(
        "neuron-exp-graph",
        3,
        "Automated backpropagation: o.draw_dot()",
        "draws the graph of the exp form with its gradients",
        (
            "graph",
            "n = x1*w1 + x2*w2 + b; exp = exp(n); nexp = exp(-1*n); o = (exp - nexp)/(exp + nexp)",
            "--at",
            NEURON_003_AT,
        ),
        "the same picture, from the graph the gradients were computed on",
        picture="docs/seeds-003-neuron-exp.png",
    ),
    Example(
        "neuron-torch",
        3,
        "Backpropagation using PyTorch",
        "the neuron in float64 PyTorch: o = 0.70712, ∂x1 = -1.49994, ∂x2 = 0.49998, ∂w1 = 0.99996, "
        "∂w2 = 0, ∂b = 0.49998",
        ("eval", "tanh(x1*w1 + x2*w2 + b)", "--at", NEURON_003_AT, "--brief", "--digits", "16"),
        "all 16 digits; the last digits differ from the notebook's because it rounds b = 6.8814 "
        "to float32 (6.88140010833740) before converting to float64",
    ),
    # --- seed 004 ---------------------------------------------------------------------------
    Example(
        "sigmoid",
        4,
        "Intermediate functions, forward and backward",
        "h = 1/(1 + exp(-(w0*x0 + w1*x1 + w2))) through a..h at w0=2, x0=-1, w1=-3, x1=-2, w2=-3",
        ("eval", SIGMOID, "--at", SIGMOID_AT),
        "the notebook's 13 numbered steps in one table (its step 1, ∂h/∂h = 1, is the start), in the "
        "order reverse mode runs them, to 4 significant digits; `gradcli demo` runs this one",
        erratum="the notebook truncates: ∂h/∂e is -0.20 (not -0.19), ∂h/∂d, ∂h/∂c, ∂h/∂w2 are 0.20 "
        "(not 0.19); its steps 12 and 13 use x0 for w1's partner: true ∂h/∂w1 = -0.3932, "
        "∂h/∂x1 = -0.5898; and its PyTorch cell prints w1.grad as dh/dx1",
    ),
    Example(
        "sigmoid-graph",
        4,
        "Computational graph",
        "the picture of the graph of a..h",
        ("graph", SIGMOID, "--at", SIGMOID_AT),
        "values and gradients on every node, drawn by gradcli",
        picture="docs/seeds-004-sigmoid.png",
    ),
    Example(
        "sigmoid-2-digits",
        4,
        "Forward and backward, at the notebook's precision",
        "the same numbers at two decimals, as the notebook writes them",
        ("eval", SIGMOID, "--at", SIGMOID_AT, "--digits", "2"),
        "rounded, not truncated (2 significant digits, so g = 1.4): compare with the notebook's "
        "0.36, -0.19, 0.19 and 0.38",
        erratum="at two digits the true values are f = 0.37, ∂h/∂g = -0.53, ∂h/∂e = -0.20, "
        "∂h/∂d = ∂h/∂w2 = 0.20, ∂h/∂w0 = -0.20, ∂h/∂x0 = 0.39",
    ),
)

DEFAULT_DEMO = "sigmoid"

SEED_EXAMPLES = SeedExamples(SEEDS, EXAMPLES, DEFAULT_DEMO)
