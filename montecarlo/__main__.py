from montecarlo.cli import run

run()
