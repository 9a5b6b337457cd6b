"""The command line: options → api → a renderer. Errors are caught once, here.

Bad input (GradcliError, or a usage error from Click) prints one message to stderr and exits
with 2; anything else is a bug: exit 1, with the traceback only under --debug. Each command is
a module of its own (cmd_*.py) registering itself on the one Typer app of common.py. Typer and
the commands are imported when the arguments need them: the plain scripting call
`eval SOURCE --at ... --json` is run by plain.quick_eval without them (start-up).
"""

from __future__ import annotations

import errno
import os
import sys
from typing import TYPE_CHECKING

from ..errors import GradcliError
from .outfile import silence_stdout
from .plain import check_binding_spaces, quick_eval

if TYPE_CHECKING:
    import typer

__all__ = ["app", "main", "run"]


def _typer_app():
    """The Typer app with every command registered on it."""
    from . import cmd_check, cmd_demo, cmd_descend, cmd_diff, cmd_eval, cmd_graph, cmd_hessian  # noqa: F401
    from .cmd_exercise import exercise_command  # noqa: F401  (the homework commands)
    from .cmd_grade import grade_command  # noqa: F401
    from .common import app

    return app


def __getattr__(name: str) -> object:
    if name == "app":  # `from gradcli.cli import app`, as before
        return _typer_app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    rest, moved, skip, has_source = [], None, False, False
    for arg in args[1:]:
        if skip:
            rest.append(arg)
            skip = False
            continue
        # Once SOURCE is given, an unknown `-o` is a mistyped option, not a second expression.
        has_source = has_source or not arg.startswith("-") or arg == "-"
        name = arg.split("=", 1)[0]
        if arg in takes_value:
            skip = True
        known = name in takes_value or name in flags or (arg[:2] in takes_value and not arg.startswith("--"))
        looks_like_expression = arg.startswith("-") and not arg.startswith("--") and arg != "-"
        if looks_like_expression and not known and moved is None and not has_source:
            moved = arg
            continue
        rest.append(arg)
    if moved is None:
        return args
    return [args[0], *rest, "--", moved]


def main(argv: list[str] | None = None) -> int:
    """The console script. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        code = _dispatch(args)
        sys.stdout.flush()  # here, not at exit, so that a closed or full stdout is caught below
        return code
    except BrokenPipeError:
        return _stdout_closed()
    except SystemExit as stop:
        # Click answers EPIPE with sys.exit(1), raised while handling the BrokenPipeError.
        if isinstance(stop.__context__, BrokenPipeError):
            return _stdout_closed()
        raise
    except OSError as error:
        if error.errno not in _FULL:
            raise
        silence_stdout()  # drop what is buffered, or the interpreter's last flush fails again
        sys.stderr.write(f"error: cannot write to standard output: {error.strerror}\n")
        return 2


# Errors of a write to standard output that are the machine's, not gradcli's: a full disk or quota.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}


def _stdout_closed() -> int:
    """`gradcli ... | head`: the reader has what it wanted. Stop quietly with 0 (the Python docs'
    SIGPIPE note: point stdout at devnull, so the interpreter's last flush does not fail again)."""
    silence_stdout()
    return 0


def _dispatch(args: list[str]) -> int:
    debug = "--debug" in args
    try:
        check_binding_spaces(args)
        code = quick_eval(args)
        if code is not None:
            return code
        import typer

        command = typer.main.get_command(_typer_app())
        code = command.main(_source_first(args, command), prog_name="gradcli", standalone_mode=False)
        # Without standalone mode, Click returns the code of a typer.Exit raised in a command.
        return code if isinstance(code, int) else 0
    except GradcliError as error:
        sys.stderr.write(error.render() + "\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
    except Exception as error:
        if _is_typer(error, "Abort"):
            sys.stderr.write("interrupted\n")
            return 130
        if _is_typer(error, "TyperException"):  # Click's usage errors (typer 0.28 vendors Click)
            sys.stderr.write(usage_message(error, args) + "\n")
            return 2
        if isinstance(error, BrokenPipeError):
            raise
        if isinstance(error, OSError) and error.errno in _FULL:
            raise
        return _bug(error, debug)


def _is_typer(error: Exception, name: str) -> bool:
    """Whether `error` is typer.NAME, without importing Typer for an error Typer never saw."""
    typer = sys.modules.get("typer")
    return typer is not None and isinstance(error, getattr(typer, name))


def _bug(error: Exception, debug: bool) -> int:
    """Anything else is a bug: say so plainly, the traceback only on request."""
    if debug:
        raise error
    sys.stderr.write(
        f"internal error: {type(error).__name__}: {error}\n"
        "this is a bug in gradcli; run again with --debug for the traceback and report it\n"
    )
    return 1


def usage_message(error: typer.TyperException, args: list[str]) -> str:
    """Click's usage error in gradcli's words; an unknown option lists the command's options."""
    ctx = getattr(error, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "gradcli --help"
    option = getattr(error, "option_name", None)
    if ctx is None or option is None or not hasattr(error, "possibilities"):  # not NoSuchOption
        return f"error: {error.format_message()}\nhint: see '{where}'"
    name = ctx.command_path.removeprefix("gradcli ")
    options = [param.opts + param.secondary_opts for param in ctx.command.params]
    listed = ", ".join("/".join(names) for names in options if names and names[0].startswith("-"))
    lines = [f"error: no such option for {name}: {option}", f"hint: {name} takes {listed}, and --help"]
    if option in ("-o", "--output"):
        following = args[args.index(option) + 1] if args.count(option) and args[-1] != option else "FILE"
        lines.append(f"hint: {name} prints to standard output: save it with > {following}")
    return "\n".join(lines)


def run() -> None:
    """The console script: run the command, flush its output, and leave at once.

    Python's teardown (freeing every module and object, ~30 ms with numpy loaded) does nothing
    a finished command needs, so the process ends with os._exit after the flush. A flush that
    fails on a closed pipe is the quiet exit the contract asks for."""
    code = main()
    for stream in (sys.stdout, sys.stderr):
        try:
            if stream is not None:
                stream.flush()
        except (BrokenPipeError, OSError):
            pass
    os._exit(code)
