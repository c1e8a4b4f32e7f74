"""Every model has a documentation page, in step with its code, with its plot."""

import re
from pathlib import Path

import pytest

from theory import get_model, model_names

DOCS = Path(__file__).resolve().parent.parent / "docs" / "models"


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
