"""The quick path of the scripting call (gradcli/cli/plain.py): `eval SOURCE --at ... [--brief]
--json` run without Typer gives what Typer's path gives, byte for byte, errors and exit codes
included; any other arguments go through Typer. And the call loads neither Typer nor Lark."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import run_cli

import gradcli.cli as cli
from gradcli.cli.plain import _quick_form

SEED = "1/(1+exp(-(w0*x0+w1*x1+w2)))"
AT = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"

QUICK = [
    ["eval", SEED, "--at", AT, "--brief", "--json"],
    ["eval", "--brief", "--json", SEED, "--at", AT],
    ["eval", SEED, "--at", AT, "--json"],  # the whole derivation
    ["eval", SEED, "-a", "w0=2,x0=-1", "--at=w1=-3,x1=-2", "--at", "w2=-3", "--json", "--brief"],
    ["eval", "x*y", "--at", "x=2,y=3", "--json", "--json", "--brief", "--brief"],
    ["eval", "sqrt(x) + log(y)", "--at", "x=0,y=-1", "--brief", "--json"],  # inf, nan, warnings
    ["eval", "2 + 3", "--json"],  # no variables
    ["eval", "sum(v) * w", "--at", "v=[1,2,3],w=pi/4", "--json"],
    ["eval", "x*y", "--at", "x=2", "--json"],  # no value for y
    ["eval", "x*y", "--at", "x=2,y=3,z=4", "--json"],  # a value the program does not read
    ["eval", "x*y", "--at", "x=2,x=3", "--json"],  # given twice
    ["eval", "x*y", "--at", "x=2", "--at", "y=1e400", "--json"],
    ["eval", "x*y", "--at", "x = 2", "--json"],
    ["eval", "x*", "--at", "x=2", "--json"],  # a syntax error
    ["eval", "foo(x)", "--at", "x=2", "--json"],  # an unknown function
    ["eval", "", "--json"],
    ["eval", "x", "--at", "x=@nosuch.npy", "--json"],
    ["eval", "x", "--at=", "--json"],  # an empty entry
    ["eval", "x*y", "--at=x=1,y=2", "--brief", "--json"],
    ["eval", "x*y", "--at", "x=1,y=2,", "--json"],
    ["eval", "x", "--at", "x=2 y=3", "--json"],
    ["eval", "x", "--at", "x", "=", "2", "--json"],  # the shell split a binding: said first
    ["eval", "x", "--at", "x=", "2", "--json"],
]
NOT_QUICK = [  # Typer reads them
    ["eval", "x*y", "--at", "x=2,y=3", "--brief"],
    ["eval", "x*y", "--at", "x=2,y=3", "--json", "--digits", "3"],
    ["eval", "x*y", "--at", "x=2,y=3", "--json", "--wrt", "x"],
    ["eval", "x*y", "--at", "x=2,y=3", "--format", "json"],
    ["eval", "-x*y", "--at", "x=2,y=3", "--json"],
    ["eval", "x*y", "--at", "-x=2", "--json"],
    ["eval", "x*y", "y*x", "--at", "x=2,y=3", "--json"],
    ["eval", "--json"],
    ["eval", "x", "--at", "--json"],
    ["eval", "x", "--json", "--at"],
    ["eval", "x", "--at", "x=1", "--json", "--nosuch"],
    ["eval", "x", "--at", "x=1", "--json", "--", "y"],
    ["eval", "x", "-a=x=1", "--json"],
    ["eval", "x", "--at", "x=1", "--json", "-h"],
    ["eval", "--help"],
    ["--version"],
    [],
]
CASES = QUICK + NOT_QUICK


@pytest.mark.parametrize("args", CASES, ids=[" ".join(case)[:60] for case in CASES])
def test_the_quick_path_gives_what_typer_gives(args, monkeypatch):
    quick = run_cli(*args)
    monkeypatch.setattr(cli, "quick_eval", lambda args: None)
    typer = run_cli(*args)
    assert (quick.code, quick.out, quick.err) == (typer.code, typer.out, typer.err)


def test_which_arguments_take_the_quick_path():
    assert _quick_form(["eval", "x", "--at", "x=1", "--json"]) == ("x", ["x=1"], False)
    both = ["eval", "--brief", "x", "--at=x=1", "-a", "y=2", "--json"]
    assert _quick_form(both) == ("x", ["x=1", "y=2"], True)
    assert all(_quick_form(args) is not None for args in QUICK[:-2])
    for args in NOT_QUICK + QUICK[-2:]:  # the last two: said by check_binding_spaces first
        assert _quick_form(args) is None, args


def test_the_scripting_call_loads_neither_typer_nor_lark():
    code = (
        "import sys, runpy\n"
        f"sys.argv = ['gradcli', 'eval', {SEED!r}, '--at', {AT!r}, '--brief', '--json']\n"
        "from gradcli.cli import main\n"
        "assert main() == 0\n"
        "print(sorted(name for name in ('typer', 'click', 'lark', 'rich') if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.parametrize("args", [QUICK[0], ["eval", "x*y", "--at", "x=2,y=3", "--format", "text"]])
def test_the_collector_is_resumed_and_nothing_stays_frozen(args):
    import gc

    assert gc.isenabled()
    assert run_cli(*args).code == 0
    assert gc.isenabled() and gc.get_freeze_count() == 0
