"""The shipped copy is the pinned revision: byte-identical to the shared data when it is here."""

from __future__ import annotations

import gzip
import hashlib
from importlib import resources
from pathlib import Path

import pytest

from reasonledger.atlas.load import AtlasError, parse, pin, schema

DATA = resources.files("reasonledger.atlas").joinpath("data")


def test_readme_pins_source_revision_and_sha_of_the_shipped_file() -> None:
    pinned = pin()
    assert pinned.source.endswith("RenBing-Sumeru/Awesome-LLM-Reasoning-Data")
    assert pinned.revision == "0bc3872"
    assert hashlib.sha256(gzip.decompress(DATA.joinpath("papers.yaml.gz").read_bytes())).hexdigest() == pinned.sha256
    assert "MIT License" in DATA.joinpath("LICENSE").read_text()


@pytest.mark.parametrize("name", ["papers.yaml", "schema.json", "LICENSE"])
def test_shipped_copy_matches_the_shared_atlas(shared_data: Path, name: str) -> None:
    source = shared_data / "atlas" / name
    if not source.is_file():
        pytest.skip(f"the atlas is not in the shared data ({source} missing)")
    shipped = DATA.joinpath(name + ".gz" if name == "papers.yaml" else name).read_bytes()
    if name == "papers.yaml":
        shipped = gzip.decompress(shipped)
    assert shipped == source.read_bytes()


def test_a_copy_that_drifted_from_the_pin_is_refused() -> None:
    text = gzip.decompress(DATA.joinpath("papers.yaml.gz").read_bytes()).decode()
    with pytest.raises(AtlasError, match="is not the pinned"):
        parse(text.replace("year: 2021", "year: 2022", 1), schema(), "papers.yaml", pin())
