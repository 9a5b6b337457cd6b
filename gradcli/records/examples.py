"""The records of the seed notebooks' worked examples (the list itself is gradcli/examples.py).

An example's `argv` is the command without a format option; `docs_argv()` adds the plain-text
format the page shows (or `-o PICTURE` for a graph), `demo_argv()` what `gradcli demo NAME` runs.
A row with no `argv` is a part of a notebook that gradcli does not run (yet), listed so that
nothing is left out silently: `pending` says why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """One worked example of a seed notebook, and the gradcli command that answers it (if any)."""

    name: str
    seed: int
    cell: str  # where in the notebook
    computes: str  # what the notebook computes, in our own words
    argv: tuple[str, ...] = ()  # the gradcli command (after `gradcli`), without a format option
    further: str = ""  # where gradcli goes further than the notebook
    erratum: str = ""  # where the notebook is wrong, and the true value
    picture: str = ""  # for `graph`: the PNG under docs/ that the page shows
    requires: str = ""  # a gradcli command that must exist for this example to run
    pending: str = ""  # why there is no command (yet)

    @property
    def command(self) -> str:
        return self.argv[0] if self.argv else ""

    def docs_argv(self) -> list[str]:
        """The command as the page shows it: plain text, or the PNG for a graph."""
        if self.command == "graph":
            return [*self.argv, "-o", self.picture]
        if self.command in ("eval", "hessian"):
            return [*self.argv, "--format", "text"]
        return list(self.argv)  # check and diff print plain text already

    def dot_argv(self) -> list[str]:
        """For a graph: the DOT text of the same picture (what the docs test compares)."""
        return [*self.argv, "--format", "dot"]

    def demo_argv(self, fmt: str | None = None) -> list[str]:
        """What `gradcli demo NAME` runs: rich tables (or FMT) for eval, a tree for a graph."""
        if self.command == "graph":
            return [*self.argv, "--format", fmt if fmt in ("tree", "dot", "mermaid") else "tree"]
        if self.command in ("eval", "hessian") and fmt is not None:
            return [*self.argv, "--format", fmt]
        return list(self.argv)

    def demo_line(self, fmt: str | None = None) -> str:
        """`demo_argv(fmt)` as one types it: the `$ gradcli ...` line the demo prints first."""
        return shell_join(self.demo_argv(fmt))


@dataclass(frozen=True)
class SeedExamples:
    """Everything `gradcli demo` lists and runs, as one record for the API to hand out."""

    seeds: Mapping[int, str]  # seed number -> what its notebook is about
    examples: tuple[Example, ...]  # in the order of docs/seeds.md
    default: str  # the example `gradcli demo` runs when given no name


_SAFE = re.compile(r"[A-Za-z0-9_.,=/:+-]+")


def shell_join(argv: list[str]) -> str:
    """The command as one types it: `gradcli eval "(a+b)*(b+1)" --at a=2,b=1`."""
    words = ["gradcli"]
    for arg in argv:
        words.append(arg if _SAFE.fullmatch(arg) else f'"{arg}"')
    return " ".join(words)
