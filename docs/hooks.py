"""The CLI reference, generated from the argument parser.

``docs/reference/cli.md`` holds a region between ``<!-- cli-reference:start -->`` and
``<!-- cli-reference:end -->`` with every command and option of ``driftkit``, rendered
from :func:`driftkit.montecarlo.app.cli.build_parser` (Markdown of its own, so the text
does not depend on the Python version's ``--help`` layout). The region is written into
the file by ``python docs/hooks.py`` (so the page reads correctly on GitHub too; the
tests check that it is current), and the mkdocs hook :func:`on_page_markdown`
regenerates it when the site is built, so the site never disagrees with the code.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

START = "<!-- cli-reference:start -->"
END = "<!-- cli-reference:end -->"
PAGE = Path(__file__).resolve().parent / "reference" / "cli.md"
_REGION = re.compile(re.escape(START) + r".*?" + re.escape(END), flags=re.S)


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The subcommand parsers of ``parser``, by name, in the order they were added."""
    out: dict[str, argparse.ArgumentParser] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            seen: set[int] = set()
            for name, sub in action.choices.items():
                if id(sub) not in seen:  # an alias points at the same parser
                    seen.add(id(sub))
                    out[name] = sub
    return out


def _help_text(action: argparse.Action, prog: str) -> str:
    text = action.help or ""
    if "%" in text:
        text = text % {**vars(action), "prog": prog, "default": action.default}
    return " ".join(text.split())


def _metavar(action: argparse.Action) -> str:
    if action.metavar is not None:
        return str(action.metavar)
    if action.choices is not None:
        return "{" + ",".join(map(str, action.choices)) + "}"
    return action.dest.upper() if action.option_strings else action.dest


def _shown(action: argparse.Action) -> bool:
    return action.help != argparse.SUPPRESS and not isinstance(
        action, argparse._SubParsersAction | argparse._HelpAction
    )


def _signature(action: argparse.Action) -> str:
    """``--set NAME=VALUE`` for an option, ``MODEL`` (or ``MODEL ...``) for a positional."""
    if not action.option_strings:
        meta = _metavar(action)
        if action.nargs in ("*", "+"):
            return f"{meta} ..." if action.nargs == "+" else f"[{meta} ...]"
        return meta
    if action.nargs == 0:  # a flag (store_true, --version, --progress/--no-progress)
        return " / ".join(action.option_strings)
    return " / ".join(f"{o} {_metavar(action)}" for o in action.option_strings)


def _usage(prog: str, parser: argparse.ArgumentParser) -> str:
    parts = [prog]
    for action in parser._actions:
        if not _shown(action):
            continue
        sig = _signature(action).split(" / ")[0]
        if action.option_strings and not action.required:
            sig = f"[{sig}]"
        parts.append(sig)
    return " ".join(parts)


def _arguments(prog: str, parser: argparse.ArgumentParser) -> list[str]:
    lines = []
    for action in parser._actions:
        if not _shown(action):
            continue
        notes = []
        if action.option_strings and action.required:
            notes.append("required")
        if isinstance(action, argparse._AppendAction) and "repeatable" not in (action.help or ""):
            notes.append("repeatable")
        note = f" ({', '.join(notes)})" if notes else ""
        lines.append(f"- `{_signature(action)}`{note}: {_help_text(action, prog)}")
    return lines


def cli_reference() -> str:
    """Markdown for every command and option of ``driftkit``, from ``build_parser()``."""
    from driftkit.montecarlo.app.cli import build_parser

    parser = build_parser()
    subs = subcommands(parser)
    sub_action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    helps = {a.dest: a.help for a in sub_action._choices_actions}

    def takes(p: argparse.ArgumentParser, option: str) -> bool:
        return any(option in a.option_strings for a in p._actions)

    parts = [
        f"The `driftkit` command has {len(subs)} subcommands. "
        "`driftkit COMMAND --help` lists the same options in the terminal.",
        "",
        "| command | what it does | `--set` | `--json` |",
        "|---|---|---|---|",
    ]
    for name, p in subs.items():
        parts.append(
            f"| [`{name}`](#driftkit-{name}) | {(helps.get(name) or '').replace('|', '/')} | "
            f"{'yes' if takes(p, '--set') else 'no'} | {'yes' if takes(p, '--json') else 'no'} |"
        )
    parts += ["", "## driftkit", "", parser.description or "", ""]
    parts += ["```text", _usage("driftkit", parser) + " COMMAND ...", "```", ""]
    parts += _arguments("driftkit", parser)
    if parser.epilog:
        parts += ["", "```text", parser.epilog.strip("\n"), "```"]
    for name, p in subs.items():
        prog = f"driftkit {name}"
        parts += ["", f"## {prog}", "", p.description or helps.get(name) or "", ""]
        parts += ["```text", _usage(prog, p), "```", ""]
        parts += _arguments(prog, p)
        if p.epilog:
            parts += ["", "```text", p.epilog.strip("\n"), "```"]
    return "\n".join(parts).rstrip() + "\n"


def render_page(markdown: str) -> str:
    """``markdown`` with its reference region (between the markers) regenerated."""
    if START not in markdown or END not in markdown:
        raise ValueError(f"the page has no {START} ... {END} region")
    region = f"{START}\n{cli_reference()}\n{END}"
    return _REGION.sub(lambda _: region, markdown, count=1)


def griffe_layout():
    """A griffe extension that finds ``driftkit.theory`` and ``driftkit.montecarlo``.

    The package's source is ``src/driftkit/``, and its subpackages are the top-level
    folders ``theory/`` and ``montecarlo/`` (``package-dir`` in pyproject.toml). griffe
    (which reads the source for the API pages) finds a package's submodules by walking
    its folder, so this extension loads the two folders as members of ``driftkit``.
    mkdocs.yml names it as ``docs/hooks.py:griffe_layout``.
    """
    from griffe import Extension  # the docs extra's; the tests import this file without it

    root = Path(__file__).resolve().parent.parent

    class DriftkitLayout(Extension):
        def on_package(self, *, pkg, loader, **kwargs) -> None:
            if pkg.name != "driftkit":
                return
            for name in ("theory", "montecarlo"):
                if name not in pkg.members:
                    module = loader._load_module(name, root / name / "__init__.py", parent=pkg)
                    pkg.set_member(name, module)

    return DriftkitLayout()


def on_page_markdown(markdown: str, page, config, files) -> str:
    """mkdocs hook: regenerate the CLI reference when the site is built."""
    if START in markdown:
        return render_page(markdown)
    return markdown


if __name__ == "__main__":
    text = PAGE.read_text(encoding="utf-8")
    new = render_page(text)
    if new != text:
        PAGE.write_text(new, encoding="utf-8")
        print(f"wrote {PAGE}")
    else:
        print(f"{PAGE} is current")
    sys.exit(0)
