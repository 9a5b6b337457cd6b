"""Every output block of README.md is what its command prints now.

The convention (README.md says it in one line near the top):

- A ```sh block holding ONE `gradcli ...` command (continued over lines with `\\`), followed,
  with only blank lines between, by a block with no language, ```text or ```json: that block is
  the command's output. The command runs in this process (gradcli.cli.main) in a temporary folder (so `-o`
  files land there) with NO_COLOR=1 and COLUMNS=100, stdout and stderr in the order printed, as
  docs/build.py runs docs/seeds.md's commands. It must exit 0.
- A ```console block: `$ gradcli ...` on its first line, the rest is what the terminal shows
  (stdout and stderr); any exit code (an error example exits 2).
- `| jq FILTER` after the command: FILTER is applied here, in Python, for the simple paths the
  README uses (`.`, `.key`, `.key.key2`, `.key[0]`), printed as jq 1.7 prints (2-space indent,
  numbers as JSON has them: `2.0` stays `2.0`); any other pipe is reported as unsupported.
- A line `…` alone in an output block stands for lines left out: the lines above it must be the
  first lines of the output, those below it the last ones, and at least one line is left out.
- Normalisation, the only one: trailing spaces of each line and trailing empty lines are
  dropped (Rich pads its lines to the terminal width).
- A ```text or ```json block that follows no command, and a block with no language that holds
  `$ gradcli` (a transcript: mark it ```console), are errors, so no output escapes the test.
  Other blocks with no language (a picture of the layers) are not outputs.

`GRADCLI_UPDATE_README=1 pytest tests/test_readme.py` rewrites every output block from its
command (keeping each `…` elision's number of lines above and below it), like
GRADCLI_UPDATE_GOLDEN for tests/golden: after a change of output, one command makes the README
true again.
"""

from __future__ import annotations

import difflib
import io
import json
import os
import re
import shlex
import sys
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import require_program
from markdown_it import MarkdownIt

from gradcli.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
UPDATE = os.environ.get("GRADCLI_UPDATE_README") == "1"
COLUMNS = "100"
ELISION = "…"
OUTPUT_LANGUAGES = ("", "text", "json")


@dataclass
class Fence:
    info: str
    content: str
    start: int  # line of the opening fence (0-based)
    end: int  # line after the closing fence
    indent: str


@dataclass
class Example:
    """One command and the block that shows its output."""

    command: str
    block: Fence
    console: bool = False  # the command is the block's first line (`$ gradcli ...`)

    @property
    def line(self) -> int:
        return self.block.start + 1

    def shown(self) -> list[str]:
        lines = self.block.content.splitlines()
        return lines[1:] if self.console else lines


def fences(text: str) -> list[Fence]:
    lines = text.splitlines()
    found = []
    for token in MarkdownIt("commonmark").parse(text):
        if token.type == "fence" and token.map:
            start, end = token.map
            indent = lines[start][: len(lines[start]) - len(lines[start].lstrip())]
            found.append(Fence(token.info.strip(), token.content, start, end, indent))
    return found


def one_command(fence: Fence) -> str | None:
    """The command of a ```sh block that holds one `gradcli` command, else None."""
    if fence.info != "sh":
        return None
    logical = re.sub(r"\\\n\s*", "", fence.content).strip()
    if "\n" in logical or not logical.startswith("gradcli ") or "&&" in logical:
        return None
    return logical


def examples(text: str) -> tuple[list[Example], list[str]]:
    """The README's (command, output block) pairs, and the blocks that break the convention."""
    lines = text.splitlines()
    found, problems = [], []
    blocks = fences(text)
    for k, fence in enumerate(blocks):
        if fence.info == "console":
            first = fence.content.split("\n", 1)[0]
            if first.startswith("$ gradcli "):
                found.append(Example(first[2:], fence, console=True))
            else:
                problems.append(f"line {fence.start + 1}: a console block starts with `$ gradcli ...`")
            continue
        if fence.info == "" and "$ gradcli" in fence.content:
            problems.append(f"line {fence.start + 1}: a transcript: mark it ```console")
        command = one_command(fence)
        after = blocks[k + 1] if k + 1 < len(blocks) else None
        if command is None or after is None:
            continue
        if any(line.strip() for line in lines[fence.end : after.start]):
            continue  # prose between: the command stands alone
        if after.info in OUTPUT_LANGUAGES:
            found.append(Example(command, after))
    paired = {id(example.block) for example in found}
    for fence in blocks:
        if fence.info in ("text", "json") and id(fence) not in paired:
            problems.append(f"line {fence.start + 1}: a ```{fence.info} block that no command prints")
    return found, problems


# --- running a command ----------------------------------------------------------------------------


class _Stdin(io.StringIO):
    def isatty(self) -> bool:
        return False


@contextmanager
def _terminal(folder: Path):
    """NO_COLOR, a fixed width, and the working folder `folder`, restored afterwards."""
    saved_env = {name: os.environ.get(name) for name in ("NO_COLOR", "COLUMNS")}
    saved_cwd = os.getcwd()
    os.environ.update(NO_COLOR="1", COLUMNS=COLUMNS)
    os.chdir(folder)
    try:
        yield
    finally:
        os.chdir(saved_cwd)
        for name, value in saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


class _Stream(io.StringIO):
    """One of stdout/stderr: keeps its own text and copies it into `both`, in the order printed."""

    def __init__(self, both: io.StringIO) -> None:
        super().__init__()
        self.both = both

    def write(self, s: str) -> int:
        self.both.write(s)
        return super().write(s)


def _run(argv: list[str], folder: Path) -> tuple[int, str, str, str]:
    """(exit code, stdout, stderr, both in the order printed)."""
    both = io.StringIO()
    out, err = _Stream(both), _Stream(both)
    saved = sys.stdin, sys.stdout, sys.stderr
    sys.stdin, sys.stdout, sys.stderr = _Stdin(""), out, err
    try:
        with _terminal(folder):
            code = main(argv)
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved
    return code, out.getvalue(), err.getvalue(), both.getvalue()


def jq(filter_text: str, document: str) -> str:
    """The simple jq paths README uses: `.`, `.a`, `.a.b`, `.a[0]`."""
    if not re.fullmatch(r"\.|(\.[A-Za-z_]\w*(\[\d+\])*)+", filter_text):
        raise NotImplementedError(f"jq filter {filter_text!r}")
    value = json.loads(document)
    for name, index in re.findall(r"\.([A-Za-z_]\w*)|\[(\d+)\]", filter_text):
        value = value[name] if name else value[int(index)]
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def output_of(command: str, folder: Path) -> tuple[int, str]:
    """What the terminal shows after `command` (a `gradcli ...` line, maybe `| jq FILTER`)."""
    words = shlex.split(command)
    pipe = words.index("|") if "|" in words else None
    argv = words[1:pipe]
    code, out, err, both = _run(argv, folder)
    if pipe is None:
        return code, both
    rest = words[pipe + 1 :]
    if len(rest) != 2 or rest[0] != "jq":
        raise NotImplementedError(f"pipe into {' '.join(rest)!r}")
    return code, jq(rest[1], out) + err  # jq reads stdout; stderr still reaches the terminal


def normalise(text: str) -> list[str]:
    lines = [line.rstrip() for line in text.splitlines()]
    while lines and not lines[-1]:
        lines.pop()
    return lines


def compare(shown: list[str], printed: list[str]) -> str | None:
    """None when the block shows what was printed (with `…` standing for lines left out), else
    a diff."""
    if ELISION in shown:
        cut = shown.index(ELISION)
        head, tail = shown[:cut], shown[cut + 1 :]
        fits = (
            len(printed) > len(head) + len(tail)
            and printed[: len(head)] == head
            and printed[len(printed) - len(tail) :] == tail
        )
        if fits:
            return None
        expected = [*printed[: len(head)], ELISION, *(printed[len(printed) - len(tail) :] if tail else [])]
    else:
        if shown == printed:
            return None
        expected = printed
    diff = difflib.unified_diff(shown, expected, "README.md (shown)", "gradcli (prints now)", lineterm="")
    return "\n".join(diff)


def regenerated(shown: list[str], printed: list[str]) -> list[str]:
    """The block's new lines: the output, or with `…` the same number of lines around it."""
    if ELISION not in shown:
        return printed
    cut = shown.index(ELISION)
    head, tail = cut, len(shown) - cut - 1
    if len(printed) <= head + tail:
        return printed
    return [*printed[:head], ELISION, *(printed[len(printed) - tail :] if tail else [])]


def rewrite(text: str, replacements: dict[int, tuple[Fence, list[str]]]) -> str:
    """`text` with each block's content (by opening line) replaced by the new lines."""
    lines = text.split("\n")
    for start in sorted(replacements, reverse=True):
        fence, new = replacements[start]
        body = [fence.indent + line if line else "" for line in new]
        lines[fence.start + 1 : fence.end - 1] = body
    return "\n".join(lines)


def check_readme(text: str, folder: Path) -> tuple[list[str], dict[int, tuple[Fence, list[str]]]]:
    """The problems of README text `text` (empty when every block is current), and for the
    blocks that differ their new lines."""
    found, problems = examples(text)
    replacements = {}
    for example in found:
        code, printed = output_of(example.command, folder)
        if code != 0 and not example.console:
            problems.append(f"line {example.line}: `{example.command}` exited with {code}:\n{printed}")
            continue
        printed_lines = normalise(printed)
        shown = normalise("\n".join(example.shown()))
        diff = compare(shown, printed_lines)
        if diff is not None:
            problems.append(f"line {example.line}: the output of `{example.command}` differs:\n{diff}")
            new = regenerated(shown, printed_lines)
            if example.console:
                new = [f"$ {example.command}", *new]
            replacements[example.block.start] = (example.block, new)
    return problems, replacements


# --- the tests ------------------------------------------------------------------------------------


def test_every_output_block_is_what_its_command_prints(tmp_path):
    text = README.read_text(encoding="utf-8")
    problems, replacements = check_readme(text, tmp_path)
    if UPDATE and replacements:
        README.write_text(rewrite(text, replacements), encoding="utf-8")
        problems, _ = check_readme(README.read_text(encoding="utf-8"), tmp_path)
    regenerate = "GRADCLI_UPDATE_README=1 pytest tests/test_readme.py"
    assert not problems, "\n\n".join(problems) + f"\n\nREADME.md is out of date: {regenerate}"


def commands_without_output(text: str) -> list[str]:
    """The one-command ```sh blocks that no output block follows (`-o` examples, the course's)."""
    shown = {example.command for example in examples(text)[0]}
    found = [one_command(fence) for fence in fences(text)]
    return [command for command in found if command and command not in shown]


def test_commands_shown_without_an_output_run(tmp_path):
    """They run, with exit 0, in a temporary folder (`-o` files land there)."""
    commands = commands_without_output(README.read_text(encoding="utf-8"))
    assert any(" -o " in command for command in commands)
    for command in commands:
        if "--points" in command:
            continue  # reads a file of the reader's (tests/test_points*.py run --points)
        if " -o " in command and (".png" in command or ".svg" in command):
            require_program("dot")
        code, printed = output_of(command, tmp_path)
        assert code == 0, f"`{command}` exited with {code}:\n{printed}"
        words = shlex.split(command)
        if "-o" in words:
            assert (tmp_path / words[words.index("-o") + 1]).stat().st_size > 0, command


def test_the_readme_has_its_examples():
    found, _ = examples(README.read_text(encoding="utf-8"))
    commands = [example.command for example in found]
    assert len(found) >= 15
    for start in ("gradcli eval", "gradcli check", "gradcli diff", "gradcli hessian", "gradcli descend"):
        assert any(command.startswith(start) for command in commands), start
    assert any(example.console for example in found)  # the error example
    assert any("| jq" in command for command in commands)


def test_the_readme_states_the_terminal_it_is_printed_on():
    text = README.read_text(encoding="utf-8")
    assert f"COLUMNS={COLUMNS}" in text and "NO_COLOR=1" in text and "tests/test_readme.py" in text


DOCTORED = """\
```sh
gradcli eval "(a+b)*(b+1)" --at a=2,b=1 --brief --format text
```

```text
Result
  v3 = 6
  ∂v3/∂a = 2
  ∂v3/∂b = 6
```
"""


def test_a_drifted_block_is_reported_and_regenerated(tmp_path):
    problems, replacements = check_readme(DOCTORED, tmp_path)
    assert len(problems) == 1 and "differs" in problems[0]
    assert "-  ∂v3/∂b = 6" in problems[0] and "+  ∂v3/∂b = 5" in problems[0]
    fixed = rewrite(DOCTORED, replacements)
    assert fixed == DOCTORED.replace("∂v3/∂b = 6", "∂v3/∂b = 5")
    assert check_readme(fixed, tmp_path) == ([], {})


def test_an_elided_block_checks_its_first_and_last_lines(tmp_path):
    command = '```sh\ngradcli eval "(a+b)*(b+1)" --at a=2,b=1 --format text\n```\n\n'
    good = command + "```text\nForward pass\n…\n  ∂v3/∂b = 5\n```\n"
    assert check_readme(good, tmp_path) == ([], {})
    bad = command + "```text\nForward pass\n…\n  ∂v3/∂b = 4\n```\n"
    problems, replacements = check_readme(bad, tmp_path)
    assert problems and "+  ∂v3/∂b = 5" in problems[0]
    assert rewrite(bad, replacements) == good


def test_a_bare_block_after_a_command_is_its_output_and_a_stray_block_is_reported(tmp_path):
    bare = DOCTORED.replace("```text", "```")
    problems, replacements = check_readme(bare, tmp_path)
    assert len(problems) == 1 and "+  ∂v3/∂b = 5" in problems[0]
    assert rewrite(bare, replacements) == bare.replace("∂v3/∂b = 6", "∂v3/∂b = 5")
    prose = "Prose, then a picture.\n\n```\ncli/ -> api.py\n```\n"
    assert check_readme(prose, tmp_path) == ([], {})
    stray = "Some prose.\n\n```text\nResult\n```\n"
    problems, _ = check_readme(stray, tmp_path)
    assert any("no command prints" in problem for problem in problems)
    transcript = "```\n$ gradcli eval x --at x=1\n```\n"
    problems, _ = check_readme(transcript, tmp_path)
    assert any("console" in problem for problem in problems)


def test_a_console_block_shows_an_error_and_its_exit(tmp_path):
    block = '```console\n$ gradcli eval "2*x +" --at x=1\nerror: something else\n```\n'
    problems, replacements = check_readme(block, tmp_path)
    assert problems and "error: " in problems[0]
    fixed = rewrite(block, replacements)
    assert fixed.startswith('```console\n$ gradcli eval "2*x +" --at x=1\nerror: ')
    assert check_readme(fixed, tmp_path) == ([], {})


def test_jq_paths_print_as_jq():
    document = '{"gradient": {"a": 2.0, "b": [1.0, "nan"]}}'
    assert jq(".gradient.b[1]", document) == '"nan"\n'
    assert jq(".gradient", document) == '{\n  "a": 2.0,\n  "b": [\n    1.0,\n    "nan"\n  ]\n}\n'
    with pytest.raises(NotImplementedError):
        jq(".gradient | keys", document)
