"""Loaded by Python at the start of every process we run (PYTHONPATH, bot/processes.py); acts
only in the Rasa server's environment, and only when WEGWIJS_RASA_SPEEDUPS is not "0".

Rasa 3.6 checks every answer of the action server with `jsonschema.validate`, which first
checks the (large, constant) schema against its meta-schema and builds a new validator with a
new reference resolver, on every call. Profiled under load, that was about half of the Rasa
server's CPU (BENCHMARKS.md, "Load"). Here the validator is built once and reused: the same
validation, the same errors. Nothing changes in the model or its training.
"""

from __future__ import annotations

import os


def _cache_action_answer_validator() -> None:
    try:
        from rasa.core.actions.action import RemoteAction
    except ImportError:  # not the Rasa environment
        return
    from typing import Any

    from jsonschema import exceptions, validators

    original = RemoteAction._validate_action_result
    cache: dict[str, Any] = {}

    def validate_action_result(self: RemoteAction, result: dict[str, Any]) -> bool:
        validator = cache.get("validator")
        if validator is None:
            schema = self.action_response_format_spec()
            cls = validators.validator_for(schema)
            cls.check_schema(schema)
            validator = cache["validator"] = cls(schema)
        if exceptions.best_match(validator.iter_errors(result)) is not None:
            return bool(original(self, result))  # Rasa's own error message and logging
        return True

    RemoteAction._validate_action_result = validate_action_result


def _keep_library_deprecations_ignored() -> None:
    """PYTHONWARNINGS=ignore (bot/training.py) is what the Rasa server runs with, but two
    imports put filters in front of it: sanic's (Rasa 3.6 pins 21.12) adds "once" for
    DeprecationWarning, and Rasa's logging set-up "once" for UserWarning. Every pinned library
    used afterwards (pkg_resources, sanic_cors, matplotlib's pyparsing) then prints a
    deprecation into the operator's log. They are not ours to fix and say nothing about the
    running service: the ignore is put back in front after each of the two."""
    if "ignore" not in os.environ.get("PYTHONWARNINGS", "").split(","):
        return
    import importlib.util

    if importlib.util.find_spec("rasa") is None:  # not the Rasa environment
        return
    import warnings

    import sanic.app  # noqa: F401 (its import adds the "once" filter)
    from rasa.utils import common

    warnings.filterwarnings("ignore", category=DeprecationWarning)
    rasa_filters = common._filter_warnings

    def filter_warnings(*args: object, **kwargs: object) -> None:
        rasa_filters(*args, **kwargs)  # type: ignore[arg-type]
        warnings.filterwarnings("ignore", category=DeprecationWarning)

    common._filter_warnings = filter_warnings


_keep_library_deprecations_ignored()
if os.environ.get("WEGWIJS_RASA_SPEEDUPS", "1") != "0":
    _cache_action_answer_validator()
