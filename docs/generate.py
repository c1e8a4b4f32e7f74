"""Regenerate docs/models/<model>.md and its plot from every registered model.

Run from the repository root: ``python docs/generate.py [MODEL ...]`` (default:
all). The pages are built from the models themselves (docstring, parameters,
derivation) and a fresh validation with a fixed seed, so they cannot drift from
the code.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib.pyplot as plt
from driftkit.montecarlo import get_simulator, validate
from driftkit.montecarlo.app.plots import plot_curve
from driftkit.montecarlo.app.report import model_page
from driftkit.theory import get_model, model_names

SEED = 20261123
HERE = Path(__file__).resolve().parent


def main(names: list[str]) -> None:
    out = HERE / "models"
    (out / "img").mkdir(parents=True, exist_ok=True)
    for name in names or model_names():
        model = get_model(name)()
        sim = get_simulator(model)
        result = validate(model, paths=2 * sim.default_paths, rng=SEED)
        images, captions = [], []
        plot_paths = min(20_000, sim.default_paths)
        if model.curve_parameter:
            variants = [{}, *model.plot_variants]
            for i, changes in enumerate(variants):
                variant = model.replace(**changes)
                fig = plot_curve(variant, paths=plot_paths, rng=SEED)
                suffix = f"-{i}" if i else ""
                fig.savefig(out / "img" / f"{name}{suffix}.png", dpi=150)
                plt.close(fig)
                images.append(f"img/{name}{suffix}.png")
                what = ", ".join(f"{k}={v}" for k, v in changes.items()) or "the defaults"
                captions.append(
                    f"At {what}: theory as a line, simulation as points with 99.9% interval "
                    f"bars ({plot_paths:,} paths per point)."
                )
        page = model_page(result, images, captions, plot_paths)
        (out / f"{name}.md").write_text(page)
        print(f"wrote docs/models/{name}.md ({'ok' if result.ok else 'DISAGREEMENT'})")


if __name__ == "__main__":
    main(sys.argv[1:])
