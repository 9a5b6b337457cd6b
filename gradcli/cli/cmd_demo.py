"""`gradcli demo`: a worked example, before writing an expression of one's own."""

from __future__ import annotations

import sys
from typing import Annotated, Optional

import typer

from .common import DebugOpt, Format, app, emit, render

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
    from ..api import evaluate
    from ..values import parse_at

    chosen = fmt or Format.rich
    sys.stdout.write(f'$ gradcli eval "{DEMO_PROGRAM}" --at {DEMO_AT}\n\n')
    derivation = evaluate(DEMO_PROGRAM, parse_at([DEMO_AT]))
    emit(render(derivation, chosen), None)
