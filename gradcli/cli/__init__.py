"""The command line: options → api → a renderer. Errors are caught once, here.

Bad input (GradcliError, or a usage error from Click) prints one message to stderr and exits
with 2; anything else is a bug: exit 1, with the traceback only under --debug. Each command is
a module of its own (cmd_*.py) registering itself on the one Typer app of common.py.
"""

from __future__ import annotations

import sys

import typer

from ..errors import GradcliError
from . import cmd_check, cmd_demo, cmd_descend, cmd_diff, cmd_eval, cmd_graph, cmd_hessian  # noqa: F401  (registers the commands)
from .common import app

__all__ = ["app", "main", "run"]


def _source_first(args: list[str], command) -> list[str]:
    """Let an expression that starts with '-' ("-x^2") be SOURCE rather than an unknown option.

    An argument that starts with '-' but is not one of the command's options is moved to the
    end, behind '--'. One that reads as an option ("-f*x" is -f with the value "*x") stays an
    option: '--' before it is the way out, as usual.
    """
    if not args:
        return args
    if "--" in args:
        # `eval -- "-f*x" --at f=2`: '--' marks the one SOURCE, and options may still follow it.
        i = args.index("--")
        after = args[i + 2 :]
        if i + 1 < len(args) and after and after[0].startswith("-"):
            return [*args[:i], *after, "--", args[i + 1]]
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
        code = command.main(_source_first(args, command), prog_name="gradcli", standalone_mode=False)
        # Without standalone mode, Click returns the code of a typer.Exit raised in a command.
        return code if isinstance(code, int) else 0
    except GradcliError as error:
        sys.stderr.write(error.render() + "\n")
        return 2
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
