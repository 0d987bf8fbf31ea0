# The two Quickstart commands. Each does all of its own set-up (scripts/setup.sh).
.PHONY: demo test bench

demo:
	@scripts/setup.sh demo
	.venv/bin/glyphserpack demo

test:
	@scripts/setup.sh all
	.venv/bin/ruff check glyphserpack tests benchmarks scripts archive setup.py
	.venv/bin/ruff format --check glyphserpack tests benchmarks scripts archive setup.py
	.venv/bin/mypy
	.venv/bin/python -m pytest -q -p no:cacheprovider

bench:
	@scripts/setup.sh demo
	.venv/bin/python benchmarks/run.py --quick
