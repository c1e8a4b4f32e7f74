"""Regenerate docs/models/<model>.md and its plot from every registered model.

Run from the repository root: ``python docs/generate.py``. The pages are built
from the models themselves (docstring, parameters, derivation) and a fresh
validation with a fixed seed, so they cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from montecarlo import validate
from montecarlo.plots import plot_curve
from montecarlo.report import model_page
from theory import get_model, model_names

SEED = 20261123
HERE = Path(__file__).resolve().parent


def main() -> None:
    out = HERE / "models"
    (out / "img").mkdir(parents=True, exist_ok=True)
    for name in model_names():
        model = get_model(name)()
        result = validate(model, paths=200_000, rng=SEED)
        image = None
        if model.curve_parameter:
            fig = plot_curve(model, paths=20_000, rng=SEED)
            fig.savefig(out / "img" / f"{name}.png", dpi=150)
            plt.close(fig)
            image = f"img/{name}.png"
        (out / f"{name}.md").write_text(model_page(result, image))
        print(f"wrote docs/models/{name}.md ({'ok' if result.ok else 'DISAGREEMENT'})")


if __name__ == "__main__":
    main()
