"""What the commands share that needs no Typer: reading SOURCE, writing a document to stdout or
-o FILE, the early check of `--at` bindings, and the quick path of the scripting call.

The quick path: `gradcli eval SOURCE [--at NAME=VALUE,...]... [--brief] --json` in exactly that
plain form (the options in any order, nothing else) is read here and run as `eval` runs it
(the same API calls, the same JSON renderer, the same errors), without importing Typer and its
Click (~45 ms of the scripting call's start-up). Any other arguments (another option, a SOURCE
or value that starts with '-', `--`, -f, -o, --format, --help, a missing value) go through Typer
as before.
"""

from __future__ import annotations

import gc
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import GradcliError


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


def quick_eval(args: list[str]) -> int | None:
    """Run `eval ... --json` in its plain form (the module's docstring) and return the exit code;
    None when the arguments are not in that form (Typer then reads them)."""
    form = _quick_form(args)
    if form is None:
        return None
    source, at, brief = form
    from ..api import evaluate, read_values
    from ..render import json_out

    # As cmd_eval does for these options: read_source, the --at values, evaluate, the JSON.
    text = read_source(source, None)
    values = read_values(at, [], source=None)
    with collector_paused():
        derivation = evaluate(text, values, wrt=None, record_steps=not brief, mode="reverse")
        emit(json_out.render(derivation, brief=brief), None)
    return 0


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector paused while one point is evaluated and written, and what the
    command made left out of the collection that resuming would start: at 10^5 variables that
    collection walked ~10^6 new (acyclic) objects, for ~0.1 s. gc.freeze() moves every tracked
    object to the permanent generation and unfreeze() back to the oldest one, both at once, so the
    objects stay collectable (by a later full collection) without being walked now."""
    enabled = gc.isenabled()
    frozen = gc.get_freeze_count() > 0  # a caller's own frozen objects: leave them so
    gc.disable()
    try:
        yield
    finally:
        if enabled and not frozen:
            gc.freeze()
            gc.enable()
            gc.unfreeze()
        elif enabled:
            gc.enable()


def _quick_form(args: list[str]) -> tuple[str, list[str], bool] | None:
    """(SOURCE, the --at values, --brief) of `eval SOURCE [--at V]... [--brief] --json`, or None."""
    if not args or args[0] != "eval":
        return None
    source, at, brief, json_flag = None, [], False, False
    rest = iter(args[1:])
    for arg in rest:
        if arg == "--json":
            json_flag = True
        elif arg == "--brief":
            brief = True
        elif arg in ("--at", "-a"):
            value = next(rest, None)
            if value is None or value.startswith("-"):
                return None
            at.append(value)
        elif arg.startswith("--at="):
            at.append(arg[len("--at=") :])
        elif arg.startswith("-") or source is not None:
            return None
        else:
            source = arg
    if source is None or not json_flag:
        return None
    return source, at, brief
