"""gradcli: gradients of math expressions by reverse-mode automatic differentiation, with the
worked derivation (forward table, chain-rule steps) in the terminal, Markdown, LaTeX and JSON.

    >>> import gradcli
    >>> result = gradcli.evaluate("(a+b)*(b+1)", a=2, b=1)
    >>> float(result.gradient["b"])
    5.0
"""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["GradcliError", "__version__", "compile", "evaluate"]


def __getattr__(name: str):
    # Imported on first use, so `gradcli --version` does not pay for numpy and lark.
    if name == "evaluate":
        from .api import evaluate

        return evaluate
    if name == "compile":
        from .compiled import compile

        return compile
    if name == "GradcliError":
        from .errors import GradcliError

        return GradcliError
    raise AttributeError(f"module 'gradcli' has no attribute {name!r}")
