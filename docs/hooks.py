"""mkdocs hook: the CLI reference is generated from the argument parser at build time.

``docs/reference/cli.md`` holds the marker ``<!-- cli-reference -->``; it is
replaced by the ``--help`` of ``driftkit`` and of each subcommand, so the page
can never disagree with the code.
"""

from __future__ import annotations

import argparse

MARKER = "<!-- cli-reference -->"


def cli_reference() -> str:
    from driftkit.montecarlo.app.cli import build_parser

    parser = build_parser()
    parts = ["## driftkit", "", "```text", parser.format_help().rstrip(), "```", ""]
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for name, p in sub.choices.items():
        parts += [f"## driftkit {name}", "", "```text", p.format_help().rstrip(), "```", ""]
    return "\n".join(parts)


def on_page_markdown(markdown: str, page, config, files) -> str:
    if MARKER in markdown:
        return markdown.replace(MARKER, cli_reference())
    return markdown
