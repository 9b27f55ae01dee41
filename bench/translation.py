"""Translation benchmark: `python -m bench.translation [--url URL] [--out FILE]`.

Always: the placeholder protection on bench/translation_cases.yml (time per text, what is
protected, and that every part comes back). With --url (a running LibreTranslate): each text
through bot.translation's client, the time per text per direction, and the outputs written to
--out (YAML) for a reader who knows both languages to grade.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.translation import TranslationFailed, load_terms
from bot.translation.libretranslate import LibreTranslate
from bot.translation.protect import protect, restore

CASES = PROJECT_ROOT / "bench" / "translation_cases.yml"
DIRECTIONS = {"uk_nl": ("uk", "nl"), "nl_uk": ("nl", "uk"), "en_uk": ("en", "uk")}


def _ms(seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


def protection(cases: dict[str, list[str]], terms: tuple[str, ...]) -> None:
    for direction, texts in cases.items():
        times: list[float] = []
        parts = 0
        for text in texts:
            start = time.perf_counter()
            for _ in range(100):
                protected = protect(text, terms=terms)
            times.append((time.perf_counter() - start) / 100)
            assert restore(protected.text, protected) == text
            parts += len(protected.parts)
        print(f"protect {direction}: {len(texts)} texts, {parts} parts protected, {_ms(times)}")


async def engine(cases: dict[str, list[str]], url: str) -> dict[str, list[dict[str, str]]]:
    client = LibreTranslate(url=url, timeout_seconds=60, terms=load_terms(PROJECT_ROOT))
    outputs: dict[str, list[dict[str, str]]] = {}
    for direction, texts in cases.items():
        source, target = DIRECTIONS[direction]
        times: list[float] = []
        failed = 0
        for text in texts:
            start = time.perf_counter()
            try:
                result = await client.translate(text, source=source, target=target)
                translated = result.text
            except TranslationFailed as error:
                failed += 1
                translated = f"FAILED: {error}"
            times.append(time.perf_counter() - start)
            outputs.setdefault(direction, []).append({"source": text, "output": translated})
        print(f"engine {direction}: {len(texts)} texts, {failed} failed, {_ms(times)}")
    return outputs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--url", help="a running LibreTranslate server")
    parser.add_argument("--out", type=Path, help="where to write the engine's outputs (YAML)")
    parser.add_argument(
        "--fake",
        action="store_true",
        help="our client's own cost: the same calls to tests/fake_libretranslate.py, which "
        "does not translate",
    )
    args = parser.parse_args()
    cases = yaml.safe_load(CASES.read_text(encoding="utf-8"))
    print(f"{sum(len(v) for v in cases.values())} texts in {CASES.relative_to(PROJECT_ROOT)}")
    protection(cases, load_terms(PROJECT_ROOT))
    if args.fake:
        from tests.fake_libretranslate import running_fake

        with running_fake() as fake:
            asyncio.run(engine(cases, fake.url))
    if args.url:
        outputs = asyncio.run(engine(cases, args.url))
        if args.out is not None:
            dumped = yaml.safe_dump(outputs, allow_unicode=True, width=100)
            args.out.write_text(dumped, encoding="utf-8")


if __name__ == "__main__":
    main()
