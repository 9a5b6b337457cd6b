"""gradcli: gradients of math expressions by reverse-mode automatic differentiation, with the
worked derivation (forward table, chain-rule steps) in the terminal, Markdown, LaTeX, PDF,
HTML and JSON.

    >>> import gradcli
    >>> result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
    >>> float(result.gradient["b"])
    5.0

One function per thing the command line does (each documented in `gradcli.api`):

- `evaluate(source, at, wrt=...)`: value, gradients and the worked derivation (`gradcli eval`);
- `compile(source)`: parse once, evaluate many times, or at N points at once (`--points`);
- `jacobian(source, at, wrt=..., mode=...)`: ∂output/∂variable for array outputs;
- `hessian(source, at, wrt=...)`: the matrix of second derivatives (`gradcli hessian`);
- `check(source, at)`: reverse mode against finite differences (`gradcli check`);
- `perturb(source, at, spec=...)`: nudge one node, watch the rest move (`check --perturb`);
- `diff(source, wrt)`: the derivatives as formulas (`gradcli diff`);
- `descend(source, data=..., params=...)`: learn parameters by gradient descent (`gradcli descend`);
- `exercise(level, seed)`: a random backpropagation exercise and its key (`gradcli exercise`);
- `grade(sheet)`: mark a filled worksheet, cell by cell (`gradcli grade`);
- `GradcliError`: what every one of them raises for bad input (message, place, hint).
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = [
    "GradcliError",
    "__version__",
    "check",
    "compile",
    "descend",
    "diff",
    "evaluate",
    "exercise",
    "grade",
    "hessian",
    "jacobian",
    "perturb",
]

_FROM_API = frozenset(__all__) - {"__version__"}


def __getattr__(name: str):
    # Loaded on first use, so `gradcli --version` does not pay for numpy and lark. No module of
    # the package is named after one of these functions, so importing one never hides them.
    if name in _FROM_API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | _FROM_API)
