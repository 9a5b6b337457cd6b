"""What every command shares: the Typer app, the option types defined once, reading SOURCE and
writing documents (from plain.py, which needs no Typer). Each command lives in a module of its
own (cmd_*.py)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .. import __version__
from .plain import check_binding_spaces, emit, read_source  # noqa: F401  (the commands import them from here)

if TYPE_CHECKING:
    from ..expr import Program
    from ..values import AtValue

app = typer.Typer(
    # Click's own help layout: paragraphs wrapped to the terminal, the option help in one wide
    # column, and `\b` blocks (the examples) kept line by line, so they can be copied at 80 columns.
    rich_markup_mode=None,
    name="gradcli",
    help="Gradients of math expressions by backpropagation, with the worked derivation.\n\n"
    'Example: gradcli eval "(a+b)*(b+1)" --at a=2,b=1',
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


# Options shared by several commands, defined once.
SourceArg = Annotated[
    Optional[str],
    typer.Argument(
        # No-break spaces keep the quoted program on one line when the help text wraps.
        help='The expression or program, e.g. "(a+b)*(b+1)" or '
        '"y\u00a0=\u00a0w*x;\u00a0(y\u00a0-\u00a0t)^2". '
        "'-' reads it from standard input. One starting with '-' works (\"-x^2\"); "
        "if it reads as an option, put -- before it.",
        show_default=False,
    ),
]
FileOpt = Annotated[
    Optional[Path],
    typer.Option("--file", "-f", help="Read the program from this file.", show_default=False),
]
AtOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--at",
        "-a",
        help="Values of the free variables: NAME=VALUE pairs, separated by commas, repeatable. "
        "A value is a number, a constant expression (pi/4), an array ([1,2,3]) or a file "
        "(W=@w.npy; also .npz, p.npz:NAME, .json, .csv).",
        show_default=False,
    ),
]
AtFileOpt = Annotated[
    Optional[list[str]],
    typer.Option(
        "--at-file",
        metavar="FILE",
        help="Values of many variables at once: a JSON object of names and values, or a .npz of "
        "named arrays (numpy.savez); repeatable. Entries the program does not read are ignored; "
        "a name also given by --at is an error. One value from a file: --at W=@w.npy.",
        show_default=False,
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a Python traceback on internal errors.")]
WrtOpt = Annotated[
    Optional[str],
    typer.Option(help="Differentiate only by these variables (separated by commas).", show_default=False),
]
DigitsOpt = Annotated[
    int, typer.Option(min=1, max=17, help="Significant digits in the human formats (JSON is never rounded).")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Same as --format json.")]


def wrt_list(wrt: str | None) -> list[str] | None:
    """`--wrt a,b` as a list of names; None (every variable) without the option."""
    return None if wrt is None else [name.strip() for name in wrt.split(",") if name.strip()]


def at_values(
    at: list[str] | None, at_file: list[str] | None, source: str | Program | None = None
) -> dict[str, AtValue]:
    """The values of `--at` and `--at-file` together (a name given twice is an error); entries of
    a file that the program `source` (text or parsed) does not read are left out."""
    from ..api import read_values

    return read_values(at or [], at_file or [], source=source if at_file else None)


def program_and_values(
    text: str, at: list[str] | None, at_file: list[str] | None
) -> tuple[str | Program, dict[str, AtValue]]:
    """The program and its values. With --at-file the program is parsed first, to know which
    names it reads, and handed on parsed, so that it is not parsed twice (at 10^5 variables a
    parse takes seconds)."""
    if not at_file:
        return text, at_values(at, None)
    from ..api import parse

    program = parse(text)
    return program, at_values(at, at_file, program)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"gradcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """gradcli: gradients of math expressions by reverse-mode automatic differentiation."""
