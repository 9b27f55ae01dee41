# Wegwijs: the two commands are `make run` and `make test`; both set up what is missing first.
.DEFAULT_GOAL := help
APP := .venvs/app/bin/wegwijs

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

setup: ## install what is missing: Python 3.10, both environments, generated data, database, model
	@scripts/setup

run: setup ## run the assistant locally: chat at http://localhost:8000
	@$(APP) run

test: setup ## run every check and test (what CI runs)
	@scripts/test

chat: ## chat in the terminal with the running assistant (`make run` in another terminal)
	@$(APP) chat

build: ## regenerate training data and responses from faq/ and texts/
	@$(APP) build

check-faq: ## check the knowledge base before you commit
	@$(APP) check-faq

check-links: ## check that every source link still answers (needs the internet; never run at start-up)
	@$(APP) check-links

train: ## retrain the model now (setup already trains when the training data changed)
	@test -x $(APP) || scripts/setup
	@$(APP) train

bench: setup ## run the benchmarks (numbers for BENCHMARKS.md)
	@$(APP) bench all --write

feedback: ## "did this help?" answers per entry, least helpful first (for editors)
	@$(APP) feedback

lint: ## ruff and mypy
	@.venvs/app/bin/ruff check bot actions bench tests && .venvs/app/bin/ruff format --check bot actions bench tests && .venvs/app/bin/mypy

lock: ## re-pin both environments after editing requirements/*.in
	@uv pip compile requirements/rasa.in --python-version 3.10 --generate-hashes -o requirements/rasa.lock
	@uv pip compile requirements/app.in --python-version 3.10 --generate-hashes -o requirements/app.lock
	@uv pip compile requirements/load.in --python-version 3.10 --generate-hashes -o requirements/load.lock

.PHONY: help setup run test chat build check-faq check-links train bench feedback lint lock
