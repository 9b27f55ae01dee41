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


if os.environ.get("WEGWIJS_RASA_SPEEDUPS", "1") != "0":
    _cache_action_answer_validator()
