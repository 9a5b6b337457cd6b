"""docs/seeds.md is what gradcli prints now, and `gradcli demo` runs the same examples."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest
from conftest import run_cli, run_process

from gradcli.cli.cmd_demo import find, runnable
from gradcli.examples import DEFAULT_DEMO, EXAMPLES, SEEDS

ROOT = Path(__file__).resolve().parent.parent


def _load_build():
    spec = importlib.util.spec_from_file_location("docs_build", ROOT / "docs" / "build.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def build():
    return _load_build()


@pytest.fixture(scope="module")
def expected(build):
    return build.page()


def test_page_is_current(build, expected):
    found = build.problems(expected)
    assert not found, (
        "\n".join(found) + "\n\ndocs/seeds.md is out of date: regenerate it with `python docs/build.py`"
    )


def test_a_hand_edited_output_is_reported(build, expected, tmp_path):
    page = (ROOT / "docs" / "seeds.md").read_text(encoding="utf-8")
    assert "  ∂e/∂b = 5\n" in page  # seed 000's sum rule, in the Result block
    edited = tmp_path / "seeds.md"
    edited.write_text(page.replace("  ∂e/∂b = 5\n", "  ∂e/∂b = 6\n", 1), encoding="utf-8")
    found = build.problems(expected, edited)
    assert found and "differs from what gradcli prints now" in found[0]
    assert "-  ∂e/∂b = 6" in found[0] and "+  ∂e/∂b = 5" in found[0]


def test_check_mode_says_how_to_regenerate(build, monkeypatch, tmp_path, capsys):
    stale = tmp_path / "seeds.md"
    stale.write_text("# typed by hand\n", encoding="utf-8")
    monkeypatch.setattr(build, "PAGE", stale)
    assert build.main(["--check"]) == 1
    assert "regenerate with: python docs/build.py" in capsys.readouterr().err


def test_every_seed_example_is_in_the_table_and_answered(expected):
    table = expected.split("\n## ", 1)[0]
    for example in EXAMPLES:
        row = [line for line in table.splitlines() if f"| {example.cell} |" in line]
        assert row, f"{example.name} is not in the table"
        if example in runnable():
            assert f"(#{example.name})" in row[0]
            assert f"\n### {example.name}\n" in expected
        else:
            assert example.pending in row[0]
    assert {example.seed for example in runnable()} == set(SEEDS)


def test_every_output_is_fenced_after_its_command(expected):
    for example in runnable():
        section = expected.split(f"\n### {example.name}\n", 1)[1].split("\n### ", 1)[0]
        assert "```sh\ngradcli " + example.command in section
        if example.command == "graph":
            assert f"]({Path(example.picture).name})" in section and "```dot\ndigraph" in section
        else:
            assert re.search(r"```text\n.+?\n```", section, re.S), example.name


def test_pictures_are_pngs():
    for example in runnable():
        if example.picture:
            assert (ROOT / example.picture).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", example.picture


def test_seed_numbers_and_errata_on_the_page(expected):
    # The true values where the seeds are wrong (the contract's errata), as gradcli prints them.
    assert "∂h/∂x1 = -0.5898" in expected and "∂h/∂w1 = -0.3932" in expected
    assert "= -0.2\n" in expected  # seed 004's -0.19 is -0.1966: -0.2 at two digits
    assert "J = 33" in expected and "∂J/∂b = 6" in expected
    assert "∂z/∂x = 0.03133" in expected  # seed 001's chain rule, 0.0313


def test_demo_default_is_seed_004_and_points_to_the_list():
    result = run_cli("demo", "--format", "text")
    assert result.code == 0
    assert result.out.startswith('$ gradcli eval "a = w0*x0; b = w1*x1;')
    assert "∂h/∂x1 = -0.5898" in result.out
    assert result.out.rstrip().endswith("gradcli demo --list")


def test_demo_list_names_every_runnable_example():
    result = run_cli("demo", "--list")
    assert result.code == 0
    for example in runnable():
        assert re.search(rf"^  {re.escape(example.name)} +\S", result.out, re.M), example.name
    entries = re.findall(r"^  \S", result.out, re.M)  # an entry starts at column 3; wrapped lines further in
    assert len(entries) == len(runnable())
    assert len(re.findall(r"^seed \d{3}: ", result.out, re.M)) == len(SEEDS)
    assert max(len(line) for line in result.out.splitlines()) <= 80  # a pipe is 80 columns


def test_demo_name_prints_the_command_then_the_pages_output(build):
    example = find("tanh-chain")
    result = run_cli("demo", "tanh-chain", "--format", "text")
    assert result.code == 0
    command, output = result.out.split("\n\n", 1)
    assert command == "$ " + build.shell_join(example.docs_argv())
    assert output == build.run(example.docs_argv())


def test_demo_graph_draws_a_tree():
    result = run_cli("demo", "neuron-graph")
    assert result.code == 0 and "o = tanh(n)   value 0.7071   grad 1" in result.out


def test_demo_unknown_name_lists_the_examples():
    result = run_cli("demo", "nosuch")
    assert result.code == 2
    assert (
        "no example named 'nosuch'" in result.err and DEFAULT_DEMO in result.err and "sum-rule" in result.err
    )


def test_demo_runs_as_a_process():
    result = run_process("demo", "sum-rule", "--format", "text")
    assert result.code == 0 and "∂e/∂b = 5" in result.out


def test_readme_first_command_runs_a_demo():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = re.search(r"```sh\n(.+?)\n```", readme, re.S).group(1)
    assert first.rstrip().endswith("gradcli demo")
