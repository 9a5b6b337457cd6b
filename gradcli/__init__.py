"""gradcli: gradients of math expressions by reverse-mode automatic differentiation, with the
worked derivation (forward table, chain-rule steps) in the terminal, Markdown, LaTeX and JSON."""

__version__ = "0.1.0"
