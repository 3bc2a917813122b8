# The SSL Cookbook. Two commands: `make lab` (set up, open the quickstart) and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CHAPTERS := $(wildcard chapters/[0-9][0-9]_*.py)
NOTEBOOKS := $(CHAPTERS:.py=.ipynb)
PORT   ?= 8888

.PHONY: setup notebooks lab test test-lib test-chapters benchmarks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Paired notebooks: the .py is the source; edits saved in JupyterLab go back to it. Only
# chapters whose .py is newer than their notebook are synced (one jupytext call for all).
notebooks: $(STAMP)
	@stale=$$(for f in $(CHAPTERS); do n=$${f%.py}.ipynb; [ -e $$n ] && [ ! $$f -nt $$n ] || echo $$f; done); \
	  if [ -n "$$stale" ]; then $(VENV)/bin/jupytext --quiet --sync $$stale && touch $(NOTEBOOKS); fi

# The printed link opens the quickstart; root (Docker, cloud boxes) is allowed; the file
# browser shows each chapter once (its notebook: the paired .py files are hidden).
LAB_FLAGS := --port $(PORT) --LabApp.default_url=/lab/tree/chapters/00_quickstart.ipynb \
  '--ContentsManager.hide_globs=["__pycache__","*.pyc","*.pyo",".DS_Store","*~","[0-9][0-9]_*.py"]' \
  $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

lab: notebooks
	$(VENV)/bin/jupyter lab $(LAB_FLAGS)

# Library tests, then every chapter executed in quick mode; runs are cached in a fresh
# temporary folder so that nothing stale is reused. One pytest worker per core (at most
# TEST_JOBS), each test file and chapter whole on one worker, one torch thread each (two
# threads fighting for one core slow torch 10-20x).
TEST_JOBS ?= 4
test: notebooks
	runs=$$(mktemp -d) && COOKBOOK_QUICK=1 COOKBOOK_RUNS=$$runs OMP_NUM_THREADS=1 \
	  $(PY) -m pytest tests $(NOTEBOOKS) --nbval-lax -p no:cacheprovider --durations=15 \
	  -n auto --maxprocesses $(TEST_JOBS) --dist loadfile; \
	  status=$$?; rm -rf $$runs; exit $$status

test-lib: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest tests -p no:cacheprovider

test-chapters: notebooks
	COOKBOOK_QUICK=1 $(PY) -m pytest $(NOTEBOOKS) --nbval-lax -p no:cacheprovider

benchmarks: $(STAMP)
	$(PY) benchmarks/loop_efficiency.py
	$(PY) benchmarks/augment_speed.py
	$(PY) benchmarks/calibrate_shapes.py

clean:
	rm -rf $(VENV) chapters/*.ipynb .pytest_cache
