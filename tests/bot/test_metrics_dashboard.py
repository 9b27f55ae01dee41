"""The Grafana dashboard uses only metrics the gateway exposes, and deploy/ probes the health
routes the gateway has."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from bot.config import PROJECT_ROOT
from bot.metrics import REGISTRY
from bot.metrics_db import DatabaseCollector

DASHBOARD = PROJECT_ROOT / "deploy" / "grafana" / "wegwijs.json"
METRIC = re.compile(r"\bwegwijs_[a-z_]+\b")
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",), "gauge": ("",)}


def exposed_names(database: DatabaseCollector) -> set[str]:
    """Every sample name the gateway's registry and the database collector can expose."""
    names: set[str] = set()
    for family in [*REGISTRY.collect(), *database.describe()]:
        names |= {family.name + suffix for suffix in SUFFIXES[family.type]}
    return names


def test_every_metric_of_the_dashboard_exists(tmp_path: Path) -> None:
    dashboard = json.loads(DASHBOARD.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in METRIC.findall(target["expr"])
    }
    database = DatabaseCollector(f"sqlite:///{tmp_path / 'none.db'}")
    exposed = exposed_names(database) | {"wegwijs_database_scrape_ok"}
    database.close()
    assert len(used) >= 10
    assert used <= exposed, used - exposed
    assert "wegwijs_answers_total" in used
    assert "wegwijs_tickets_overdue" in used


def test_the_deployments_probe_livez_and_readyz() -> None:
    helm = list(yaml.safe_load_all((PROJECT_ROOT / "deploy/helm/wegwijs.yaml").read_text()))
    gateway = next(d for d in helm if d["metadata"]["name"] == "wegwijs-gateway")
    container = gateway["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/livez"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    compose = yaml.safe_load((PROJECT_ROOT / "deploy/docker-compose.yml").read_text())
    for name in ("gateway-1", "gateway-2"):
        assert "/readyz" in " ".join(compose["services"][name]["healthcheck"]["test"])
