# One task file for people and CI alike. `make run` and `make test` are the
# two quickstart commands; both create the environment first if needed.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
AIRFLOW_VERSION := 3.3.2
STAMP := $(VENV)/.nbops-installed
# Telemetry and upstream cloud features stay off everywhere we run things.
export PLOOMBER_STATS_ENABLED := false
export PLOOMBER_VERSION_CHECK_DISABLED := true

.PHONY: install run test lab labextension bench lock screenshots docs mutate

install: $(STAMP)

$(STAMP): pyproject.toml requirements.lock Makefile $(wildcard labextension/src/*.ts labextension/style/*.css)
	@$(PYTHON) -c "import sys; assert sys.version_info[:2] == (3, 11)" 2>/dev/null || { echo "make: Python 3.11 is needed (found: $(PYTHON)); run: make PYTHON=/path/to/python3.11"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(BIN)/uv pip sync --quiet --compile-bytecode --python $(BIN)/python requirements.lock
	bash .ci/build-labextension  # only when labextension/ changed since its committed bundle
	$(BIN)/uv pip install --quiet --python $(BIN)/python --no-deps -e .
	# the panel's bundle: a link to the committed one, so a rebuild shows at the next lab start
	rm -rf $(VENV)/share/jupyter/labextensions/nbops-lab
	ln -s $(CURDIR)/src/nbops/lab/labextension $(VENV)/share/jupyter/labextensions/nbops-lab
	$(BIN)/python -m nbops.runtime.startup_hooks --install
	# ploomber-extension only adds a cloud-upload button: keep it off.
	$(BIN)/jupyter server extension disable --sys-prefix ploomber_extension >/dev/null 2>&1
	$(BIN)/jupyter labextension disable --level=sys_prefix ploomber-extension >/dev/null 2>&1
	# no calls home from JupyterLab either: its news/update announcements stay off.
	$(BIN)/jupyter labextension disable --level=sys_prefix "@jupyterlab/apputils-extension:announcements" >/dev/null 2>&1
	touch $(STAMP)

# The reference pipeline on its embedded default data.
run: install
	$(BIN)/ploomber build

test: install
	bash .ci/install-browser
	bash .ci/install-azurite
	bash .ci/install-postgresql
	bash .ci/install-airflow  # Apache Airflow 3 in .cache/airflow-venv, for the exported DAG's tests
	$(BIN)/ruff check src tests benchmarks notebooks
	$(BIN)/lint-imports
	$(BIN)/mypy --strict src/nbops
	$(BIN)/mkdocs build --strict  # not --quiet: it hides the warnings strict counts
	# one worker per core, each test module on one worker (its shared build stays one build),
	# modules handed out in tests/conftest.py's order (longest first; xdist's default re-sorts
	# them by number of tests); the slowest tests are listed so CI shows where the time goes
	$(BIN)/python -m pytest -n auto --dist loadfile --no-loadscope-reorder --durations=30

lab: install
	$(BIN)/nbops lab

# Rebuild the JupyterLab panel's committed bundle after editing labextension/ (needs Node.js).
labextension: install
	bash .ci/build-labextension

# The user guide (docs/, mkdocs.yml) in site/; strict: a broken link fails.
docs: install
	$(BIN)/mkdocs build --strict

bench: install
	bash .ci/install-azurite  # the azure extra, for azure_sdk_bench
	$(BIN)/python -m benchmarks

# docs/images/reports-*.png: the report pages, photographed by the Debian chromium.
screenshots: install
	$(BIN)/python -m benchmarks.screenshots

# Mutation testing of the modules that decide or protect (slow: not part of `make test`;
# see docs/testing.md). Writes benchmarks/results/mutation.md and mutation.json.
mutate: install
	$(BIN)/python -m benchmarks.mutation --sample $(or $(SAMPLE),1)

# Re-resolve the exact dependency set after editing pyproject.toml. Every extra but
# gcs and azure: installed, they cost every `ploomber build` about 0.5 s of CPU (+18%; python -m
# benchmarks.azure_sdk_bench), since papermill imports the Azure SDK and gcsfs at start-up. gcs has no
# server here to test it. azure is tested against Azurite with its own packages (those not
# already in requirements.lock) pinned in requirements-azure.lock, which .ci/install-azurite
# installs in .cache/azure-extra, outside .venv, for the az:// tests' child processes only.
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --extra sweep --extra dask \
		--extra serve --extra remote --extra db --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock
	{ echo "# The azure extra's packages not in requirements.lock (make lock; .ci/install-azurite)"; \
	  $(BIN)/uv pip compile pyproject.toml --extra azure -c requirements.lock \
		--python-version 3.11 --python-platform x86_64-manylinux_2_28 --quiet --no-header \
		--no-annotate | grep -vxF -f requirements.lock; } > requirements-azure.lock
	# Apache Airflow for the `nbops export airflow` tests: its own environment (its
	# dependencies conflict with ours), .cache/airflow-venv, installed by .ci/install-airflow
	{ echo "# Apache Airflow for the nbops export airflow tests, in .cache/airflow-venv (make lock; .ci/install-airflow)"; \
	  echo "apache-airflow==$(AIRFLOW_VERSION)" | $(BIN)/uv pip compile - --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 --quiet --no-header; } > requirements-airflow.lock
