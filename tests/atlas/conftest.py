"""The atlas as plain YAML, read without reasonledger's loader, so tests can check the loader against it."""

from __future__ import annotations

import gzip
from importlib import resources
from typing import Any

import pytest
import yaml


@pytest.fixture(scope="session")
def raw_entries() -> list[dict[str, Any]]:
    data = resources.files("reasonledger.atlas").joinpath("data", "papers.yaml.gz").read_bytes()
    return yaml.safe_load(gzip.decompress(data))


def level_of(entry: dict[str, Any]) -> int:
    return int(entry["curation_level"][1])
