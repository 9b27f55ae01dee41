"""One national core, a layer per municipality.

    faq/<topic>/<id>.yml                              national: true everywhere
    faq/local/<municipality>/municipality.yml         the slots and defaults (bot/municipality.py)
    faq/local/<municipality>/<topic>/<id>.yml         the municipality's own entries

A local entry adds an entry, or replaces a national one of the same id: then it names the
national entry and the version it was written against,

    overrides: {entry: registration_brp, version: 3f2a9c0d1b7e}

(the first 12 hex digits of the SHA-256 of the national file's bytes). When the national file
changes, the check says the override is stale, naming both files, until an editor has read the
national change and updated the version.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from bot.municipality import LOCAL_DIR, Layer, SlotProblem, fill_data, layers_dir

VERSION_LENGTH = 12

# (file, field, message): bot/faq/schema.py turns each into a Problem.
Found = tuple[Path, str, str]


class Override(BaseModel):
    """The national entry a local entry replaces, and the version it was written against."""

    model_config = ConfigDict(extra="forbid")
    entry: str = Field(min_length=1)
    version: str = Field(pattern=rf"^[0-9a-f]{{{VERSION_LENGTH}}}$")


class Layered(Protocol):
    """What the layering reads of an entry (bot/faq/schema.py's Entry)."""

    @property
    def id(self) -> str: ...

    @property
    def scope(self) -> str: ...

    @property
    def overrides(self) -> Override | None: ...


E = TypeVar("E", bound=Layered)


def version_of(path: Path) -> str:
    """The version an override names: the start of the SHA-256 of the file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:VERSION_LENGTH]


DRAFTS_DIR = "drafts"  # faq/drafts/: draft entries (bot/faq/drafts.py), never an entry


def national_paths(faq_dir: Path) -> list[Path]:
    """faq/<topic>/<id>.yml: neither a layer (faq/local/) nor a draft (faq/drafts/)."""
    return sorted(
        p for p in faq_dir.glob("*/*.yml") if p.parent.name not in (LOCAL_DIR, DRAFTS_DIR)
    )


def local_paths(layer: Layer) -> list[Path]:
    return sorted(layer.folder.glob("*/*.yml"))


def knowledge_base_files(faq_dir: Path, municipality: str) -> list[Path]:
    """Every file a municipality's knowledge base is made of (for cache keys): the national
    entries, the glossary, the layer's municipality.yml and its entries."""
    folder = layers_dir(faq_dir) / municipality
    files = [*national_paths(faq_dir), faq_dir / "glossary.yml", folder / "municipality.yml"]
    files += sorted(folder.glob("*/*.yml"))
    return [path for path in files if path.is_file()]


def fill_entry(raw: dict[str, Any], layer: Layer) -> tuple[dict[str, Any], list[SlotProblem]]:
    """An entry as loaded YAML with the layer's sources put in (`- local: <name>`) and every
    slot filled."""
    problems: list[SlotProblem] = []
    municipality = layer.municipality
    sources = raw.get("sources")
    if isinstance(sources, list):
        expanded: list[Any] = []
        for number, source in enumerate(sources):
            if isinstance(source, dict) and set(source) == {"local"}:
                name = str(source["local"])
                if name in municipality.sources:
                    expanded.extend(municipality.sources[name])
                else:
                    known = ", ".join(sorted(municipality.sources)) or "none"
                    problems.append(
                        SlotProblem(
                            f"sources.{number}",
                            f"{layer.id}'s municipality.yml has no sources '{name}' "
                            f"(known: {known})",
                        )
                    )
            else:
                expanded.append(source)
        raw = {**raw, "sources": expanded}
    filled, slot_problems = fill_data(raw, municipality.all_slots())
    return filled, problems + slot_problems


def scope_problems(path: Path, entry: Layered, *, local: bool) -> Iterable[Found]:
    if local and entry.scope != "local":
        yield path, "scope", "a municipality's entry must say 'scope: local'"
    if not local and entry.scope != "national":
        yield (
            path,
            "scope",
            "a national entry must say 'scope: national'; move an entry for one "
            "municipality to faq/local/<municipality>/",
        )
    if not local and entry.overrides is not None:
        yield path, "overrides", "only a municipality's entry overrides a national one"


def merge_layer(
    faq_dir: Path,
    national: Sequence[tuple[Path, E]],
    local: Sequence[tuple[Path, E]],
) -> tuple[list[tuple[Path, E]], list[Found]]:
    """The national entries with the layer's added and replaced; and what is wrong with the
    overrides (unknown, of another id, stale)."""
    problems: list[Found] = []
    by_id = {entry.id: (path, entry) for path, entry in national}
    replaced: dict[str, tuple[Path, E]] = {}
    added: list[tuple[Path, E]] = []
    for path, entry in local:
        problems.extend(scope_problems(path, entry, local=True))
        override = entry.overrides
        if override is None:
            if entry.id in by_id:
                problems.append(
                    (
                        path,
                        "overrides",
                        f"has the id of the national entry {_shown(by_id[entry.id][0], faq_dir)}: "
                        "to replace it, add overrides: {entry: "
                        f"{entry.id}, version: {version_of(by_id[entry.id][0])}}}",
                    )
                )
            else:
                added.append((path, entry))
            continue
        if override.entry not in by_id:
            problems.append(
                (path, "overrides.entry", f"no national entry '{override.entry}' to replace")
            )
            continue
        if override.entry != entry.id:
            problems.append(
                (path, "overrides.entry", f"must equal the id '{entry.id}': keep the id")
            )
            continue
        national_path = by_id[override.entry][0]
        current = version_of(national_path)
        if override.version != current:
            problems.append(
                (
                    path,
                    "overrides.version",
                    f"stale: {_shown(national_path, faq_dir)} changed since version "
                    f"{override.version}; read what changed, change this entry if it must, "
                    f"then write version: {current}",
                )
            )
        replaced[entry.id] = (path, entry)
    merged = [replaced.get(entry.id, (path, entry)) for path, entry in national]
    return merged + added, problems


def _shown(path: Path, faq_dir: Path) -> str:
    return str(path.relative_to(faq_dir.parent))
