# The SSL Cookbook. Two commands: `make lab` (set up, open the quickstart) and `make test`.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
CHAPTERS := $(wildcard chapters/[0-9][0-9]_*.py)
NOTEBOOKS := $(CHAPTERS:.py=.ipynb)
PORT   ?= 8888

.PHONY: setup notebooks lab test test-lib test-chapters book benchmarks clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install -r requirements.txt
	$(PY) -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Paired notebooks: the .py is the source; edits saved in JupyterLab go back to it. Only
# chapters whose .py is newer than their notebook are synced. `lab` opens the quickstart,
# allows root (Docker, cloud boxes) and hides the paired .py files from the file browser.
# Both are `python -m cookbook_lib notebooks|lab` (cookbook_lib/lab.py), which also work without make.
notebooks: $(STAMP)
	$(PY) -m cookbook_lib notebooks

lab: $(STAMP)
	$(PY) -m cookbook_lib lab --port $(PORT)

# Library tests, then every chapter executed in quick mode; runs are cached in a fresh
# temporary folder so that nothing stale is reused. One pytest worker per core (at most
# TEST_JOBS), each test file and chapter whole on one worker, one torch thread each (two
# threads fighting for one core slow torch 10-20x).
TEST_JOBS ?= 4
# Chapters longest first, then the library tests: xdist hands each worker the next file when
# it is free, so the long chapters start early and the short test files fill in at the end
# (order from quick-mode seconds at one thread, seed 0, in benchmarks/chapter_seeds.jsonl; a stale order costs only time).
CHAPTER_ORDER := 08 15 02 13 12 01 03 06 11 09 05 04 00 14 10 07 16
ORDERED := $(foreach n,$(CHAPTER_ORDER),$(filter chapters/$(n)_%,$(NOTEBOOKS)))
ORDERED += $(filter-out $(ORDERED),$(NOTEBOOKS))
# TEST_RUNS=DIR keeps the run cache there (CI then builds the book from it without training).
TEST_RUNS ?=
test: notebooks
	runs=$(if $(TEST_RUNS),$(abspath $(TEST_RUNS)),$$(mktemp -d)) && mkdir -p $$runs && COOKBOOK_QUICK=1 COOKBOOK_RUNS=$$runs OMP_NUM_THREADS=1 \
	  $(PY) -m pytest $(ORDERED) tests --nbval-lax -p no:cacheprovider --durations=15 \
	  -n auto --maxprocesses $(TEST_JOBS) --dist loadfile; \
	  status=$$?; [ -n "$(TEST_RUNS)" ] || rm -rf $$runs; exit $$status

test-lib: $(STAMP)
	MPLBACKEND=Agg $(PY) -m pytest tests -p no:cacheprovider

test-chapters: notebooks
	COOKBOOK_QUICK=1 $(PY) -m pytest $(NOTEBOOKS) --nbval-lax -p no:cacheprovider

# The static website in build/book/ (open build/book/index.html): every chapter executed in quick
# mode (reusing the run cache in BOOK_RUNS), the landing page and the claims table (book/build.py).
BOOK_RUNS ?= build/runs
book: $(STAMP)
	$(PY) book/build.py --runs $(BOOK_RUNS)

benchmarks: $(STAMP)
	$(PY) benchmarks/loop_efficiency.py
	$(PY) benchmarks/augment_speed.py
	$(PY) benchmarks/calibrate_shapes.py

clean:
	rm -rf $(VENV) chapters/*.ipynb .pytest_cache build
