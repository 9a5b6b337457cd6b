"""`gradcli check`: reverse-mode gradients against finite differences; `--perturb` nudges one node."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from .common import AtFileOpt, AtOpt, DebugOpt, FileOpt, SourceArg, app, emit, program_and_values, read_source
from .formats import RenderOptions, choose, format_option, formats_of, render, terminal_or_text

FORMATS = formats_of("check", "nudge")
CheckFormatOpt = format_option(
    "CheckFormat", FORMATS, "rich (default on a terminal), text (default on a pipe) or json."
)


# Over 60 lines only by its option list and its --help text (the docstring): Typer reads both from
# the signature. What the command does is the short body below them.
@app.command("check")
def check_command(
    source: SourceArg = None,
    at: AtOpt = None,
    at_file: AtFileOpt = None,
    json_flag: Annotated[bool, typer.Option("--json", help="One JSON object with every row.")] = False,
    fmt: CheckFormatOpt = None,
    eps: Annotated[
        float, typer.Option("--eps", help="Relative step: h = eps * max(1, |x|) for each element x.")
    ] = 6e-6,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance of a row.")] = 1e-5,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance of a row.")] = 1e-8,
    perturb: Annotated[
        Optional[str],
        typer.Option(
            "--perturb",
            help="Instead of the check: nudge NAME (a variable or a named intermediate; x[1] for one "
            "element) by h (default 0.001) and show every node moving, with change/h next to the "
            "reverse-mode derivative.",
            metavar="NAME[=h]",
            show_default=False,
        ),
    ] = None,
    digits: Annotated[int, typer.Option(min=1, max=17, help="Significant digits of the values shown.")] = 6,
    file: FileOpt = None,
    debug: DebugOpt = False,
) -> None:
    """Check reverse-mode gradients against central finite differences.

    Every element of every variable gets a row: the reverse-mode gradient, the
    finite difference fd, their absolute and relative error and a verdict (ok,
    kink or FAIL). Exit code 0 when no row fails, 3 when one does, 2 on bad input.

    Step h = eps·max(1, |x|) for an element x (eps = 6e-6, about the cube root
    of the machine epsilon). fd = (4·D(h/2) − D(h))/3 is the Richardson
    extrapolation of the central differences D(h) and D(h/2); |D(h) − D(h/2)|
    estimates the truncation error and 3ε·Σ|v·∂f/∂v|/h the rounding noise (v:
    the values that depend on x). When truncation exceeds the tolerance, noise
    exceeds |fd|/10 or a step leaves the domain, h is divided by 16 and tried
    again, down to eps·|x| and 3 times more. A row passes when
    |reverse − fd| ≤ atol + rtol·max(|reverse|, |fd|) + noise.

    At a kink (relu or abs at 0, a max/min tie, sqrt at 0) the one-sided
    differences are compared: when they differ the row says "not
    differentiable here" and gives both (verdict kink, not a failure). The
    check also runs h/2 to each side of the kink, where a wrong rule still fails.

    --perturb NAME[=h] shows seed 002's narration instead: nudge NAME by h and
    watch every node downstream move.

    \b
    Examples:
        gradcli check "sin(x)*y^2" --at x=1,y=2
        gradcli check "u = b*c; v = a + u; J = 3*v" --at a=5,b=3,c=2 \\
            --perturb u
    """
    from .. import api

    text, values = program_and_values(read_source(source, file), at, at_file)
    chosen = choose(fmt, json_flag, None, FORMATS, default=terminal_or_text())
    if perturb is not None:
        nudge = api.perturb(text, values, spec=perturb)
        emit(render("nudge", nudge, chosen, RenderOptions(digits)), None)
        return
    report = api.check(text, values, eps=eps, rtol=rtol, atol=atol)
    emit(render("check", report, chosen, RenderOptions(digits)), None)
    if not report.passed:
        raise typer.Exit(3)
