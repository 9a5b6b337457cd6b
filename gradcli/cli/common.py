"""What every command shares: the Typer app, the option types defined once, reading SOURCE,
writing documents. Each command lives in a module of its own (cmd_*.py)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Optional

import typer

from .. import __version__
from ..errors import GradcliError

if TYPE_CHECKING:
    from ..expr import Program
    from ..values import AtValue

app = typer.Typer(
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
        help='The expression or program, e.g. "(a+b)*(b+1)" or "y = w*x; (y - t)^2". '
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
        help="Values of the free variables: NAME=VALUE pairs, comma-separated, repeatable. "
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
    typer.Option(help="Differentiate only by these variables (comma-separated).", show_default=False),
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


def read_source(source: str | None, file: Path | None) -> str:
    if source is not None and file is not None:
        raise GradcliError("give the program either as SOURCE or with --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8-sig")  # -sig: Notepad's byte-order mark
        except FileNotFoundError:
            looks_like_maths = any(char in str(file) for char in "*^+()@")
            hint = f'if -f{file} is the expression, put -- before it: -- "-f{file}"'
            hint = hint if looks_like_maths else None
            raise GradcliError(f"no such file: {file}", hint=hint) from None
        except (OSError, UnicodeDecodeError) as error:
            raise GradcliError(f"cannot read {file}: {error}") from None
    if source == "-":
        if sys.stdin is None or sys.stdin.isatty():
            raise GradcliError("SOURCE is '-' but nothing is piped to standard input")
        return sys.stdin.read().removeprefix("\ufeff")
    if source is None:
        raise GradcliError(
            "no expression given",
            hint='gradcli eval "(a+b)*(b+1)" --at a=2,b=1   (or -f FILE, or - for standard input)',
        )
    return source


def emit(document: str | bytes | None, output: Path | None, file: Path | None = None) -> None:
    """The document to stdout, or to -o FILE through the atomic writer, which refuses to overwrite
    the program file (`file`, from -f) it was read from."""
    if document is None:
        return
    if output is None:
        if isinstance(document, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(document)
        else:
            sys.stdout.write(document)
        return
    from .outfile import write_output

    write_output(document, output, inputs=[("--file", file)])


# Options whose values are NAME=VALUE bindings: a space in them is the usual slip.
_BINDING_OPTIONS = ("--at", "-a", "--data", "--params", "--predict")
# "x=2 y=3": a space between a value and the next `name=` (not after a comma, as in "x=2, y=3")
_SPACED_BINDING = re.compile(r"(?<=[^\s,])\s+(?=[A-Za-z_]\w*\s*=(?!=))")


def check_binding_spaces(args: list[str]) -> None:
    """`--at x = 2` (the shell splits it into x, =, 2) and `--at "x=2 y=3"` get a hint about the
    syntax, before Click's "unexpected extra argument" or the parser's "write 2*y" do."""
    for i, option in enumerate(args[:-1]):
        if option == "--":
            return
        if option not in _BINDING_OPTIONS:
            continue
        value, following = args[i + 1], args[i + 2 : i + 4]
        split = _split_binding(value, following)
        if split is not None:
            raise GradcliError(
                f"{option} {' '.join([value, *following[: split[1]]])}: the shell splits at spaces, "
                f"so {option} gets only {value!r}",
                hint=f"write each binding without spaces: {option} {split[0]} "
                f"(several: {option} x=2,y=3, commas inside [...] belong to the array)",
            )
        spaced = _SPACED_BINDING.search(value)
        if spaced is not None:
            from ..errors import Span

            start, end = spaced.span()
            raise GradcliError(
                "bindings are separated by commas, not spaces",
                span=Span(1, start + 1, start, end),
                source=value,
                label=option,
                hint=f"{option} {_SPACED_BINDING.sub(',', value.strip())}",
            )


def _split_binding(value: str, following: list[str]) -> tuple[str, int] | None:
    """For `x = 2`, `x =2` and `x= 2` as separate arguments: the binding meant and how many of the
    following arguments belong to it; None when the value is not split."""
    if "=" not in value and following and following[0].startswith("="):
        rest = following[0][1:]
        if rest:
            return f"{value.strip()}={rest}", 1
        if len(following) > 1:
            return f"{value.strip()}={following[1]}", 2
        return None
    if value.endswith("=") and value.count("=") == 1 and following and not following[0].startswith("-"):
        return f"{value.strip()}{following[0]}", 1
    return None


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
