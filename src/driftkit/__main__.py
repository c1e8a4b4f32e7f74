"""``python -m driftkit``: the command line."""

from driftkit.montecarlo.app.cli import run

run()
