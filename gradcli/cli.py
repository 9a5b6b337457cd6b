"""The command line: options → api → a renderer. Errors are caught once, here.

Bad input (GradcliError, or a usage error from Click) prints one message to stderr and exits
with 2; anything else is a bug: exit 1, with the traceback only under --debug.
"""

from __future__ import annotations

import os
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

from . import __version__
from .errors import GradcliError

app = typer.Typer(
    name="gradcli",
    help="Gradients of math expressions by backpropagation, with the worked derivation.\n\n"
    'Example: gradcli eval "(a+b)*(b+1)" --at a=2,b=1',
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


class Format(str, Enum):
    rich = "rich"
    text = "text"
    json = "json"
    markdown = "markdown"
    latex = "latex"


_FORMAT_BY_SUFFIX = {".md": Format.markdown, ".tex": Format.latex, ".json": Format.json, ".txt": Format.text}

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
        "A value is a number, a constant expression (pi/4) or an array ([1,2,3]).",
        show_default=False,
    ),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show a Python traceback on internal errors.")]


def _read_source(source: str | None, file: Path | None) -> str:
    if source is not None and file is not None:
        raise GradcliError("give the program either as SOURCE or with --file, not both")
    if file is not None:
        try:
            return file.read_text(encoding="utf-8-sig")  # -sig: Notepad's byte-order mark
        except FileNotFoundError:
            raise GradcliError(f"no such file: {file}") from None
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


def _choose_format(fmt: Format | None, json_flag: bool, output: Path | None) -> Format:
    if json_flag:
        if fmt not in (None, Format.json):
            raise GradcliError("--json and --format disagree: give one of them")
        return Format.json
    if fmt is not None:
        return fmt
    if output is not None:
        suffix = output.suffix.lower()
        if suffix not in _FORMAT_BY_SUFFIX:
            known = ", ".join(_FORMAT_BY_SUFFIX)
            raise GradcliError(
                f"cannot tell the format from the file name {output.name!r}",
                hint=f"use one of {known}, or say --format",
            )
        return _FORMAT_BY_SUFFIX[suffix]
    return Format.rich


def render(
    derivation,
    fmt: Format,
    *,
    digits: int = 4,
    brief: bool = False,
    standalone: bool = False,
    paths: bool = False,
) -> str | None:
    """The document for `fmt`; None for rich, which prints itself."""
    if fmt is Format.json:
        from .render import json as json_renderer

        return json_renderer.render(derivation, brief=brief)
    if fmt is Format.text:
        from .render import text

        return text.render(derivation, digits=digits, brief=brief, paths=paths)
    if fmt is Format.markdown:
        from .render import markdown

        return markdown.render(derivation, digits=digits, brief=brief, paths=paths)
    if fmt is Format.latex:
        from .render import latex

        return latex.render(derivation, digits=digits, brief=brief, standalone=standalone, paths=paths)
    from .render import rich as rich_renderer

    rich_renderer.print_derivation(derivation, digits=digits, brief=brief, paths=paths)
    return None


@app.command("eval")
def eval_command(
    source: SourceArg = None,
    at: AtOpt = None,
    wrt: Annotated[
        Optional[str],
        typer.Option(help="Differentiate only by these variables (comma-separated).", show_default=False),
    ] = None,
    fmt: Annotated[
        Optional[Format],
        typer.Option(
            "--format",
            "-F",
            help="Output format (default: rich; from the extension with -o).",
            show_default=False,
        ),
    ] = None,
    json_flag: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
    brief: Annotated[bool, typer.Option("--brief", help="The result alone: value and gradients.")] = False,
    digits: Annotated[
        int,
        typer.Option(min=1, max=17, help="Significant digits in the human formats (JSON is never rounded)."),
    ] = 4,
    file: FileOpt = None,
    output: Annotated[
        Optional[Path],
        typer.Option(
            "--output", "-o", help="Write the document to FILE (.md .tex .json .txt).", show_default=False
        ),
    ] = None,
    standalone: Annotated[
        bool, typer.Option(help="With --format latex: a whole document for pdflatex.")
    ] = False,
    paths: Annotated[
        bool, typer.Option("--paths", help="Also write each gradient as a sum over paths (the chain rule).")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Evaluate an expression, backpropagate, and show the worked derivation.

    Shows the forward pass (every node, its definition and value), the backward pass (every edge:
    local derivative × upstream = contribution, and the sum rule where a node is used twice) and
    the result. Example:

        gradcli eval "(a+b)*(b+1)" --at a=2,b=1
    """
    from .api import evaluate
    from .values import parse_at

    text = _read_source(source, file)
    values = parse_at(at or [])
    wrt_names = [name.strip() for name in wrt.split(",") if name.strip()] if wrt is not None else None
    chosen = _choose_format(fmt, json_flag, output)
    derivation = evaluate(text, values, wrt=wrt_names)
    if output is not None and chosen is Format.rich:
        chosen = Format.text
    document = render(derivation, chosen, digits=digits, brief=brief, standalone=standalone, paths=paths)
    _emit(document, output)


def _emit(document: str | None, output: Path | None) -> None:
    if document is None:
        return
    if output is None:
        sys.stdout.write(document)
        return
    try:
        output.write_text(document, encoding="utf-8")
    except OSError as error:
        raise GradcliError(f"cannot write {output}: {error.strerror or error}") from None


class GraphFormat(str, Enum):
    tree = "tree"
    dot = "dot"
    mermaid = "mermaid"
    svg = "svg"
    png = "png"


_GRAPH_FORMAT_BY_SUFFIX = {
    ".dot": GraphFormat.dot,
    ".gv": GraphFormat.dot,
    ".mmd": GraphFormat.mermaid,
    ".svg": GraphFormat.svg,
    ".png": GraphFormat.png,
    ".txt": GraphFormat.tree,
}


def _graph_format(fmt: GraphFormat | None, output: Path | None) -> GraphFormat:
    if fmt is not None:
        return fmt
    if output is not None:
        suffix = output.suffix.lower()
        if suffix not in _GRAPH_FORMAT_BY_SUFFIX:
            known = ", ".join(_GRAPH_FORMAT_BY_SUFFIX)
            raise GradcliError(
                f"cannot tell the format from the file name {output.name!r}",
                hint=f"use one of {known}, or say --format",
            )
        return _GRAPH_FORMAT_BY_SUFFIX[suffix]
    return GraphFormat.tree if sys.stdout.isatty() else GraphFormat.dot


@app.command("graph")
def graph_command(
    source: SourceArg = None,
    at: AtOpt = None,
    fmt: Annotated[
        Optional[GraphFormat],
        typer.Option(
            "--format",
            "-F",
            help="tree (default on a terminal), dot (default on a pipe), mermaid, svg or png "
            "(svg and png need Graphviz). With -o, taken from the extension.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Optional[Path],
        typer.Option("--output", "-o", help="Write to FILE (.dot .mmd .svg .png .txt).", show_default=False),
    ] = None,
    digits: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the numbers shown.")] = 4,
    file: FileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Draw the computation graph: a box per value (name, data, grad), a circle per operation.

    Without --at the graph is drawn without numbers. Example:

        gradcli graph "tanh(x1*w1 + x2*w2 + b)" --at x1=2,x2=0,w1=-3,w2=1,b=6.8814 -o neuron.png
    """
    from .api import evaluate
    from .graph import program_names
    from .parse import parse_program
    from .values import parse_at

    program = parse_program(_read_source(source, file))
    values = parse_at(at or [])
    numbers = bool(values)
    if not numbers:  # the structure alone: any value will do, none is shown
        values = {name: 1.0 for name in program_names(program).free if name not in ("pi", "e")}
    chosen = _graph_format(fmt, output)
    derivation = evaluate(program, values)
    if chosen is GraphFormat.tree:
        from .render import tree

        if output is None:
            tree.print_tree(derivation, digits=digits, numbers=numbers)
            return
        from rich.console import Console

        console = Console(record=True, width=100, file=open(os.devnull, "w"), color_system=None)  # noqa: SIM115
        tree.print_tree(derivation, digits=digits, numbers=numbers, console=console)
        _emit(console.export_text(), output)
        return
    if chosen is GraphFormat.mermaid:
        from .render import mermaid

        _emit(mermaid.render(derivation, digits=digits, numbers=numbers), output)
        return
    from .render import dot

    dot_text = dot.render(derivation, digits=digits, numbers=numbers)
    if chosen is GraphFormat.dot:
        _emit(dot_text, output)
        return
    from .render.graphviz import to_image

    image = to_image(dot_text, chosen.value)
    if output is not None:
        _emit_bytes(image, output)
    elif chosen is GraphFormat.png and sys.stdout.isatty():
        raise GradcliError(
            "a PNG is binary and would garble the terminal", hint="write it to a file: -o graph.png"
        )
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(image)


def _emit_bytes(data: bytes, output: Path) -> None:
    try:
        output.write_bytes(data)
    except OSError as error:
        raise GradcliError(f"cannot write {output}: {error.strerror or error}") from None


DEMO_PROGRAM = "a = w0*x0; b = w1*x1; c = a + b; d = c + w2; e = -d; f = exp(e); g = 1 + f; h = 1/g"
DEMO_AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"


@app.command("demo")
def demo_command(
    fmt: Annotated[
        Optional[Format], typer.Option("--format", "-F", help="Output format.", show_default=False)
    ] = None,
    debug: DebugOpt = False,
) -> None:
    """Run a worked example: seed 004's sigmoid neuron, h = 1/(1+exp(-(w0*x0+w1*x1+w2)))."""
    from .api import evaluate
    from .values import parse_at

    chosen = fmt or Format.rich
    sys.stdout.write(f'$ gradcli eval "{DEMO_PROGRAM}" --at {DEMO_AT}\n\n')
    derivation = evaluate(DEMO_PROGRAM, parse_at([DEMO_AT]))
    _emit(render(derivation, chosen), None)


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


def _source_first(args: list[str], command) -> list[str]:
    """Let an expression that starts with '-' ("-x^2") be SOURCE rather than an unknown option.

    An argument that starts with '-' but is not one of the command's options is moved to the
    end, behind '--'. One that reads as an option ("-f*x" is -f with the value "*x") stays an
    option: '--' before it is the way out, as usual.
    """
    if "--" in args or not args:
        return args
    subcommand = getattr(command, "commands", {}).get(args[0])
    if subcommand is None:
        return args
    takes_value, flags = set(), set()
    for param in subcommand.params:
        if param.param_type_name == "option":
            names = param.opts + param.secondary_opts
            (flags if param.is_flag else takes_value).update(names)
    flags.update(("-h", "--help"))
    rest, moved, skip = [], None, False
    for arg in args[1:]:
        if skip:
            rest.append(arg)
            skip = False
            continue
        name = arg.split("=", 1)[0]
        if arg in takes_value:
            skip = True
        known = name in takes_value or name in flags or (arg[:2] in takes_value and not arg.startswith("--"))
        looks_like_expression = arg.startswith("-") and not arg.startswith("--") and arg != "-"
        if looks_like_expression and not known and moved is None:
            moved = arg
            continue
        rest.append(arg)
    if moved is None:
        return args
    return [args[0], *rest, "--", moved]


def main(argv: list[str] | None = None) -> int:
    """The console script. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = typer.main.get_command(app)
    debug = "--debug" in args
    try:
        command.main(_source_first(args, command), prog_name="gradcli", standalone_mode=False)
        return 0
    except GradcliError as error:
        sys.stderr.write(error.render() + "\n")
        return 2
    except typer.Exit as done:
        return done.exit_code
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("interrupted\n")
        return 130
    except typer.TyperException as error:  # Click's usage errors (typer 0.28 vendors Click)
        ctx = getattr(error, "ctx", None)
        where = f"{ctx.command_path} --help" if ctx is not None else "gradcli --help"
        sys.stderr.write(f"error: {error.format_message()}\nhint: see '{where}'\n")
        return 2
    except BrokenPipeError:
        return 0
    except Exception as error:  # a bug: say so plainly, trace only on request
        if debug:
            raise
        sys.stderr.write(
            f"internal error: {type(error).__name__}: {error}\n"
            "this is a bug in gradcli; run again with --debug for the traceback and report it\n"
        )
        return 1


def run() -> None:
    sys.exit(main())
