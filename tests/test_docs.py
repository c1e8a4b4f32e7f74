"""Every model has a documentation page, in step with its code, with its plot."""

import re
from pathlib import Path

import pytest
from driftkit.theory import get_model, model_names

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs" / "models"


@pytest.mark.parametrize("name", model_names())
def test_model_page_is_current(name):
    page = DOCS / f"{name}.md"
    assert page.exists(), f"run `python docs/generate.py` to write {page}"
    text = page.read_text()
    model = get_model(name)()
    assert model.derivation() in text, "the page is stale: run `python docs/generate.py`"
    for q in model.quantities:
        assert f"`{q.name}`" in text
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", text)
    assert images, "the page shows no validation plot"
    for image in images:
        assert (DOCS / image).stat().st_size > 10_000


EXAMPLES = DOCS.parent / "examples"


@pytest.mark.parametrize("page", sorted(p.name for p in EXAMPLES.glob("*.md")))
def test_example_pages_run(page, tmp_path, monkeypatch):
    """Every Python block of docs/examples/*.md runs as written, in under ten lines."""
    text = (EXAMPLES / page).read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert blocks, f"{page} has no python block"
    monkeypatch.chdir(tmp_path)
    for block in blocks:
        code_lines = [ln for ln in block.splitlines() if ln.strip()]
        assert len(code_lines) <= 10, f"{page}: the example should fit in ten lines"
        namespace: dict = {}
        exec(compile(block, f"{page}", "exec"), namespace)
        if "result" in namespace:
            assert namespace["result"].ok  # the validation in the example agrees
    for png in tmp_path.glob("*.png"):
        assert png.stat().st_size > 10_000


def test_notebook_display_hooks():
    from driftkit.montecarlo import validate

    model = get_model("gamblers-ruin")(p=0.45, q=0.55, hi=20, x0=10)
    latex = model._repr_latex_()
    assert latex.startswith("$$\\begin{aligned}") and latex.count("&=") == len(model.quantities)
    table = validate(model, paths=5_000, rng=2)._repr_markdown_()
    assert "| `escape_probability` |" in table and "all agree" in table


def test_every_model_page_is_in_the_site_navigation():
    nav = (DOCS.parent.parent / "mkdocs.yml").read_text()
    for name in model_names():
        assert f"models/{name}.md" in nav, f"add models/{name}.md to nav in mkdocs.yml"


def test_citation_cff_is_complete():
    # the Citation File Format 1.2.0 required keys, and the version the package reports
    yaml = pytest.importorskip("yaml")
    from driftkit.theory import __version__

    cff = yaml.safe_load((ROOT / "CITATION.cff").read_text(encoding="utf-8"))
    for key in ("cff-version", "message", "title", "authors", "version", "license"):
        assert cff[key], key
    assert str(cff["version"]) == __version__
    titles = " ".join(r["title"] for r in cff["references"]).lower()
    assert "drift into misalignment" in titles  # the motivating post


def _hooks():
    """docs/hooks.py (the CLI reference generator), imported from its file."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("driftkit_docs_hooks", DOCS.parent / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_cli_reference_lists_every_command_and_option():
    from driftkit.montecarlo.app.cli import build_parser

    hooks = _hooks()
    text = hooks.cli_reference()
    commands = hooks.subcommands(build_parser())
    # the six commands of the CLI (issue 12): the generator must see them all
    assert set(commands) == {"models", "theory", "simulate", "validate", "sweep", "cite"}
    for name, parser in commands.items():
        section = text.split(f"\n## driftkit {name}\n", 1)[1].split("\n## driftkit ", 1)[0]
        for action in parser._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    listed = re.search(rf"`[^`]*(?<![\w-]){re.escape(option)}(?![\w-])", section)
                    assert listed, f"driftkit {name} {option} is not listed"
        takes_set = any("--set" in a.option_strings for a in parser._actions)
        row = next(ln for ln in text.splitlines() if ln.startswith(f"| [`{name}`]"))
        assert row.split("|")[3].strip() == ("yes" if takes_set else "no")


def test_cli_reference_page_is_current():
    hooks = _hooks()
    text = hooks.PAGE.read_text(encoding="utf-8")
    assert hooks.render_page(text) == text, "the CLI reference is stale: run `python docs/hooks.py`"


def test_readme_names_only_files_a_clone_has():
    # every link and every backticked path in the README is a file of the repository, or
    # an output that a command shown in the README writes (report/, refs.bib)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\(([^)#]+)\)", readme)
    paths = re.findall(
        r"`([\w./-]+\.(?:md|py|cff|toml|yml|json|csv|bib)|[\w.-]+/[\w./-]*)`", readme
    )
    written = ("report/", "sweep.csv", "refs.bib")
    names = [p for p in links + paths if not p.startswith(("http:", "https:"))]
    assert names, "the README links no file: is the pattern still right?"
    for name in names:
        if not name.startswith(written):
            assert (ROOT / name).exists(), f"the README names {name}, which a clone does not have"


def test_readme_describes_the_six_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("models", "theory", "simulate", "validate", "sweep", "cite"):
        assert f"`driftkit {name}" in readme, f"the README does not describe `driftkit {name}`"
