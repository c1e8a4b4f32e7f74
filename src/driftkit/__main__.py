"""``python -m driftkit``: the command line."""

from driftkit.montecarlo.app.cli import run

if __name__ == "__main__":
    run()
