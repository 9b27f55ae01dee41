"""Run by the rasa environment's Python (tests/rasa_plugins/test_lexical_ranker.py): trains the
LexicalIntentRanker on a few questions with Rasa's own model storage, loads it back from that
storage, re-ranks given classifier rankings and prints what came out as JSON."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from rasa_plugins.lexical_ranker import LexicalIntentRanker


def main() -> None:
    case = json.loads(sys.stdin.read())
    examples = [
        Message(data={"text": text, "intent": intent})
        for intent, texts in case["training"].items()
        for text in texts
    ]
    with tempfile.TemporaryDirectory() as tmp:
        storage = LocalModelStorage(Path(tmp))
        resource = Resource("lexical")
        context = ExecutionContext(GraphSchema({}), "test")
        trained = LexicalIntentRanker.create(case["config"], storage, resource, context)
        trained.train(TrainingData(training_examples=examples))
        loaded = LexicalIntentRanker.load(case["config"], storage, resource, context)
        out = []
        for probe in case["messages"]:
            results = []
            for component in (trained, loaded):
                message = Message(data={"text": probe["text"]})
                message.set(
                    "intent_ranking",
                    [{"name": name, "confidence": conf} for name, conf in probe["ranking"]],
                )
                message.set(
                    "intent", {"name": probe["ranking"][0][0], "confidence": probe["ranking"][0][1]}
                )
                component.process([message])
                results.append(
                    {
                        "intent": message.get("intent"),
                        "ranking": [
                            (r["name"], r["confidence"]) for r in message.get("intent_ranking")
                        ],
                    }
                )
            out.append(results)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
