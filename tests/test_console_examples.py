"""Every console example in README.md and docs/ runs and prints what it shows.

A console example is a fenced block marked ``console``: lines ``$ COMMAND`` (a trailing
``\\`` continues the command on the next line), each followed by the output it prints
(stdout and stderr together, as a terminal shows them). The expected exit code is 2 when
the output shows a ``driftkit: error:`` line, 1 when it shows a ``DISAGREE``-ment, else 0.

- ``$ driftkit ...`` runs in-process through ``driftkit.montecarlo.app.cli.main``; any
  other command, or one with a pipe or redirection, runs in ``bash`` (with this Python's
  ``bin`` first on ``PATH``). The commands of one block share a fresh temporary folder
  as their working directory.
- What legitimately varies is ignored (:func:`normalise`): elapsed times, steps per
  second, thread counts, the seed printed when the command gives no ``--seed``, the
  ``provenance`` object of JSON output (versions, time, command line), the version in
  ``cite``'s text and the temporary folder's path.
- A line ``...`` in the expected output stands for any number of lines.
- A block preceded by ``<!-- no-check: REASON -->`` is not run; give the reason.

When the CLI's output changes on purpose, rewrite the examples' outputs with::

    python tests/test_console_examples.py --update        # every file
    python tests/test_console_examples.py --update README.md

(the outputs of commands that still match are kept as written; a block with ``...``
keeps as many leading and trailing lines as before).
"""

from __future__ import annotations

import contextlib
import difflib
import io
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
UPDATE = "python tests/test_console_examples.py --update"
ELLIPSIS = "..."
_BLOCK = re.compile(r"^```console[ \t]*\n(.*?)^```[ \t]*$", flags=re.M | re.S)
_NO_CHECK = re.compile(r"<!--\s*no-check:?\s*(.*?)\s*-->\s*$")
_SHELL_CHARS = set("|&;<>()$`*?")


def _rel(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def doc_files() -> list[Path]:
    """README.md and every Markdown page under docs/."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


@dataclass
class Command:
    """One ``$`` command of a block and the output shown under it."""

    source: list[str]  # the lines as written, ``$ `` and continuations included
    expected: list[str]

    @property
    def line(self) -> str:
        joined = " ".join(s.rstrip("\\").strip() for s in self.source)
        return joined[2:] if joined.startswith("$ ") else joined


@dataclass
class Block:
    """One ``console`` block of a Markdown file."""

    path: Path
    lineno: int  # of the opening fence
    span: tuple[int, int]  # of the block's body in the file's text
    commands: list[Command] = field(default_factory=list)
    skip: str | None = None

    @property
    def id(self) -> str:
        return f"{_rel(self.path)}:{self.lineno}"


def parse_blocks(path: Path) -> list[Block]:
    """The console blocks of ``path``, in order."""
    text = path.read_text(encoding="utf-8")
    blocks = []
    for m in _BLOCK.finditer(text):
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = _NO_CHECK.search(before)
        block = Block(path, text.count("\n", 0, m.start()) + 1, m.span(1))
        if skip:
            block.skip = skip.group(1) or "no reason given"
        lines = m.group(1).split("\n")[:-1]  # the body ends with a newline
        continuing = False
        for ln in lines:
            if continuing:
                block.commands[-1].source.append(ln)
            elif ln.startswith("$ "):
                block.commands.append(Command([ln], []))
            elif block.commands:
                block.commands[-1].expected.append(ln)
            else:
                raise ValueError(f"{block.id}: output before the first `$ ` command")
            continuing = (continuing or ln.startswith("$ ")) and ln.endswith("\\")
        blocks.append(block)
    return blocks


def _argv(line: str) -> list[str] | None:
    """The argv of an in-process ``driftkit`` command, or None when it needs a shell."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    tokens = list(lexer)
    if not tokens or tokens[0] != "driftkit":
        return None
    if any(set(t) <= _SHELL_CHARS for t in tokens):
        return None
    return tokens[1:]


def run_command(line: str, cwd: Path) -> tuple[int, str]:
    """Run one example command in ``cwd``; its exit code and its stdout+stderr."""
    argv = _argv(line)
    if argv is None:
        env = dict(os.environ)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        proc = subprocess.run(
            ["bash", "-c", line],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=300,
        )
        return proc.returncode, proc.stdout
    from driftkit.montecarlo.app.cli import main

    out = io.StringIO()
    old = Path.cwd()
    os.chdir(cwd)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            try:
                code = main(argv)
            except SystemExit as exc:  # --help and --version exit through argparse
                code = exc.code if isinstance(exc.code, int) else 0
    finally:
        os.chdir(old)
    return code, out.getvalue()


def expected_exit_code(expected: list[str]) -> int:
    """2 for an example that shows an error, 1 for one that shows a disagreement, else 0."""
    if any(ln.startswith("driftkit: error:") for ln in expected):
        return 2
    if any("DISAGREE" in ln for ln in expected):
        return 1
    return 0


_VARYING = [
    (re.compile(r"elapsed=[0-9.]+s"), "elapsed=<time>s"),
    (re.compile(r"\([0-9.e+-]+ steps/s"), "(<rate> steps/s"),
    (re.compile(r"\b\d+ threads?\b"), "<n> threads"),
    (re.compile(r'"(elapsed_s|steps_per_second|threads)": [0-9.e+-]+'), r'"\1": <varies>'),
    (re.compile(r'"provenance": \{.*?\}', flags=re.S), '"provenance": {...}'),
    (re.compile(r"version \d+\.\d+\S*? \("), "version <version> ("),
    (re.compile(r"version = \{\d+\.\d+[^}]*\}"), "version = {<version>}"),
    (re.compile(r"\(\d+(\.\d+)?s\)"), "(<time>s)"),
]
_SEED = [
    (re.compile(r"seed=\d+"), "seed=<seed>"),
    (re.compile(r'"seed": \d+'), '"seed": <seed>'),
]


def normalise(lines: list[str], line: str, tmp: Path | None = None) -> list[str]:
    """``lines`` with what legitimately varies between runs replaced by placeholders."""
    text = "\n".join(ln.rstrip() for ln in lines)
    if tmp is not None:
        text = text.replace(str(tmp), "<tmp>")
    rules = _VARYING if "--seed" in line else _VARYING + _SEED
    for pattern, repl in rules:
        text = pattern.sub(repl, text)
    out = text.split("\n")
    while out and not out[-1]:
        out.pop()
    return out


def matches(expected: list[str], actual: list[str]) -> bool:
    """Whether ``actual`` matches ``expected``, where a line ``...`` matches any lines."""
    segments: list[list[str]] = [[]]
    for ln in expected:
        if ln.strip() == ELLIPSIS:
            segments.append([])
        else:
            segments[-1].append(ln)
    if len(segments) == 1:
        return expected == actual
    first, *middle, last = segments
    end = len(actual) - len(last)
    if end < len(first) or actual[: len(first)] != first or actual[end:] != last:
        return False
    pos = len(first)
    for seg in middle:
        while pos + len(seg) <= end and actual[pos : pos + len(seg)] != seg:
            pos += 1
        if pos + len(seg) > end:
            return False
        pos += len(seg)
    return True


def check_block(block: Block) -> list[tuple[Command, int, list[str], str | None]]:
    """Run every command of ``block``: (command, exit code, output lines, problem or None)."""
    results = []
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for cmd in block.commands:
            code, output = run_command(cmd.line, tmp)
            actual = output.rstrip("\n").split("\n") if output.strip() else []
            want = expected_exit_code(cmd.expected)
            problems = []
            if code != want:
                problems.append(f"exit code {code}, the example implies {want}")
            expected_n = normalise(cmd.expected, cmd.line)
            actual_n = normalise(actual, cmd.line, tmp)
            if not matches(expected_n, actual_n):
                diff = difflib.unified_diff(
                    [ln.rstrip() for ln in cmd.expected],
                    [ln.rstrip() for ln in actual],
                    "shown in the docs",
                    "printed now",
                    lineterm="",
                )
                problems.append("the output differs:\n" + "\n".join(diff))
            results.append((cmd, code, actual, "\n".join(problems) or None))
    return results


def _updated_output(cmd: Command, actual: list[str]) -> list[str]:
    if not any(ln.strip() == ELLIPSIS for ln in cmd.expected):
        return actual
    head = cmd.expected.index(next(ln for ln in cmd.expected if ln.strip() == ELLIPSIS))
    tail = (
        len(cmd.expected)
        - 1
        - max(i for i, ln in enumerate(cmd.expected) if ln.strip() == ELLIPSIS)
    )
    if head + tail >= len(actual):
        return actual
    return [*actual[:head], ELLIPSIS, *actual[len(actual) - tail :]]


def update(paths: list[Path]) -> int:
    """Rewrite the outputs of the examples in ``paths`` that no longer match."""
    failures = 0
    for path in paths:
        blocks = [b for b in parse_blocks(path) if b.skip is None]
        text = path.read_text(encoding="utf-8")
        changed = 0
        for block in reversed(blocks):
            body = []
            for cmd, code, actual, problem in check_block(block):
                body += cmd.source
                if problem is None:
                    body += cmd.expected
                    continue
                body += _updated_output(cmd, actual)
                changed += 1
                if code != expected_exit_code(actual):
                    failures += 1
                    print(f"{block.id}: `{cmd.line}` exits {code}: fix the example by hand")
            start, end = block.span
            text = text[:start] + "\n".join(body) + "\n" + text[end:]
        if changed:
            path.write_text(text, encoding="utf-8")
            print(f"{_rel(path)}: updated {changed} example output(s)")
    return 1 if failures else 0


BLOCKS = [b for p in doc_files() for b in parse_blocks(p)]


def test_the_docs_have_console_examples():
    # the README shows the CLI at work (a command that prints nothing shows no output:
    # the comparison checks that too)
    assert any(b.path.name == "README.md" and b.skip is None for b in BLOCKS)
    for block in BLOCKS:
        assert block.commands, f"{block.id}: a console block without a `$ ` command"


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_console_example(block: Block):
    if block.skip is not None:
        pytest.skip(f"marked no-check: {block.skip}")
    problems = [
        f"$ {cmd.line}\n{problem}"
        for cmd, _, _, problem in check_block(block)
        if problem is not None
    ]
    assert not problems, (
        f"{block.id}: the console example no longer matches the CLI.\n"
        + "\n\n".join(problems)
        + f"\n\nIf the CLI changed on purpose, rewrite the outputs: {UPDATE}"
    )


_PYCON = re.compile(r"^```pycon[ \t]*\n(.*?)^```[ \t]*$", flags=re.M | re.S)
PYCON_BLOCKS = [
    (path, text.count("\n", 0, m.start()) + 1, m.group(1))
    for path in doc_files()
    for text in [path.read_text(encoding="utf-8")]
    for m in _PYCON.finditer(text)
]


@pytest.mark.parametrize(
    "path, lineno, body",
    PYCON_BLOCKS,
    ids=[f"{p.relative_to(ROOT)}:{n}" for p, n, _ in PYCON_BLOCKS],
)
def test_python_console_example(path: Path, lineno: int, body: str, tmp_path, monkeypatch):
    """A ``pycon`` block (``>>>`` lines and what they print) runs as a doctest."""
    import doctest

    monkeypatch.chdir(tmp_path)
    name = f"{path.relative_to(ROOT)}:{lineno}"
    test = doctest.DocTestParser().get_doctest(body, {}, name, str(path), lineno)
    assert test.examples, f"{name}: a pycon block without `>>>` lines"
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    runner.run(test, out=out.write)
    assert runner.failures == 0, f"{name}: the Python example no longer holds\n{out.getvalue()}"


def test_normalise_ignores_only_what_varies():
    # timings, rates, thread counts and unseeded seeds vary; the numbers do not
    a = ["x  0.5  paths=10 elapsed=0.012s (1.99e+08 steps/s, 2 threads) seed=7"]
    b = ["x  0.5  paths=10 elapsed=1.500s (3e+07 steps/s, 1 threads) seed=8"]
    assert normalise(a, "driftkit simulate m") == normalise(b, "driftkit simulate m")
    assert normalise(a, "driftkit simulate m --seed 7") != normalise(
        b, "driftkit simulate m --seed 7"
    )
    assert normalise(["x  0.5"], "driftkit theory m") != normalise(["x  0.6"], "driftkit theory m")


def test_ellipsis_matches_any_lines_but_keeps_order():
    assert matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert matches(["a", "...", "c", "..."], ["a", "b", "c", "d"])
    assert not matches(["a", "...", "d"], ["a", "b", "c"])
    assert not matches(["a", "b"], ["a", "b", "c"])


def test_a_changed_output_fails_with_a_diff_and_the_update_command(tmp_path):
    page = tmp_path / "page.md"
    page.write_text(
        "```console\n$ driftkit cite gamblers-ruin --bibtex\n@software{notdriftkit,\n...\n```\n"
    )
    (block,) = parse_blocks(page)
    ((_, code, actual, problem),) = check_block(block)
    assert code == 0 and actual[0] == "@software{driftkit,"
    assert "-@software{notdriftkit," in problem and "+@software{driftkit," in problem


if __name__ == "__main__":
    args = sys.argv[1:]
    if not args or args[0] != "--update":
        sys.exit(f"usage: {UPDATE} [FILE.md ...]")
    chosen = [Path(a).resolve() for a in args[1:]] or doc_files()
    sys.exit(update(chosen))
