"""`gradcli demo`: the seed notebooks' worked examples, before writing an expression of one's own.

The examples live in gradcli/examples.py (which docs/build.py also reads for docs/seeds.md); the
command reads them through `api.seed_examples()`, and decides which of them this gradcli can run.
"""

from __future__ import annotations

import shutil
import sys
import textwrap
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from ..errors import GradcliError
from .common import DebugOpt, app
from .formats import formats_of

if TYPE_CHECKING:  # the examples are read when a command needs them, not at every start-up
    from ..records.examples import Example


def command_exists(name: str) -> bool:
    """Whether this gradcli has the command NAME (an example may need one still being written)."""
    return name in getattr(typer.main.get_command(app), "commands", {})


def available(example: Example) -> bool:
    """Whether this gradcli can run `example`: it has a command, and that command exists."""
    return bool(example.argv) and (not example.requires or command_exists(example.requires))


def runnable() -> list[Example]:
    """The examples this gradcli can run, in the order of the list."""
    from ..api import seed_examples

    return [e for e in seed_examples().examples if available(e)]


def find(name: str) -> Example | None:
    """The runnable example called `name`, if there is one."""
    for example in runnable():
        if example.name == name:
            return example
    return None


def _listing(columns: int | None = None) -> str:
    """One entry an example, its description wrapped to the terminal (80 columns on a pipe)."""
    from ..api import seed_examples

    columns = columns or shutil.get_terminal_size((80, 24)).columns
    examples = runnable()
    width = max(len(example.name) for example in examples)
    indent = " " * (width + 4)
    lines = []
    for seed, title in seed_examples().seeds.items():
        lines.append(
            textwrap.fill(f"seed {seed:03d}: {title}", width=columns - 1, subsequent_indent=" " * 10)
        )
        for example in (e for e in examples if e.seed == seed):
            text = textwrap.fill(
                example.computes,
                width=max(columns - 1, width + 30),
                initial_indent=f"  {example.name:<{width}}  ",
                subsequent_indent=indent,
            )
            lines.append(text)
    return "\n".join(lines) + "\n"


# Over 60 lines only by its option list and its --help text (the docstring): Typer reads both from
# the signature. What the command does is the short body below them.
@app.command("demo")
def demo_command(
    name: Annotated[
        Optional[str],
        typer.Argument(
            help="The example to run (see --list); without one, seed 004's sigmoid neuron.",
            show_default=False,
        ),
    ] = None,
    list_: Annotated[bool, typer.Option("--list", "-l", help="List the examples, one line each.")] = False,
    fmt: Annotated[
        Optional[str],
        typer.Option(
            "--format",
            "-F",
            help="Output format of an eval example (rich, text, markdown, latex, json) or of a graph "
            "(tree, dot, mermaid).",
            show_default=False,
        ),
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Run a worked example from the seed notebooks (docs/seeds.md); by default seed 004's
    sigmoid neuron, h = 1/(1+exp(-(w0*x0+w1*x1+w2))), with every chain-rule step.

    \b
    Examples:
        gradcli demo
        gradcli demo --list
        gradcli demo sum-rule
    """
    from ..api import seed_examples
    from . import main

    if list_:
        if name is not None:
            raise GradcliError("give either an example NAME or --list, not both")
        sys.stdout.write(_listing())
        sys.stdout.write(
            "\nrun one with: gradcli demo NAME   (every example with its output: docs/seeds.md)\n"
        )
        return
    example = find(name or seed_examples().default)
    if example is None:
        names = ", ".join(e.name for e in runnable())
        raise GradcliError(
            f"no example named {name!r}", hint=f"the examples are: {names} (gradcli demo --list)"
        )
    graph = example.command == "graph"
    # A demo prints to the terminal: the text formats of its command (no images).
    known = ("tree", "dot", "mermaid") if graph else tuple(f.value for f in formats_of("derivation"))
    if fmt is not None and example.command in ("eval", "hessian", "graph") and fmt not in known:
        raise GradcliError(f"--format {fmt} does not fit this example", hint=f"use one of {', '.join(known)}")
    if fmt not in (None, "text") and example.command not in ("eval", "hessian", "graph"):
        raise GradcliError(
            f"the {example.name} example ({example.command}) prints plain text only: drop --format"
        )
    argv = example.demo_argv(fmt)
    # For a person the command comes first, as a transcript; a machine format keeps stdout one
    # document (`gradcli demo --format json | jq`), the command going to stderr.
    said = sys.stderr if fmt in ("json", "jsonl", "csv") else sys.stdout
    said.write(f"$ {example.demo_line(fmt)}\n\n")
    said.flush()
    code = main([*argv, *(["--debug"] if debug else [])])
    if name is None:
        said.write("\nMore worked examples from the seed notebooks: gradcli demo --list\n")
    if code:
        raise typer.Exit(code)
