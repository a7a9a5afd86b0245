"""The vocabulary map names only families, kinds and steps reasonledger has, and covers every atlas value."""

from __future__ import annotations

from typing import get_args

from reasonledger.atlas import vocab
from reasonledger.atlas.load import schema
from reasonledger.engine.step import known_steps
from reasonledger.records.model import Kind
from reasonledger.verifiers.base import Family


def test_every_atlas_value_has_a_mapping() -> None:
    enums = schema()["enums"]
    assert set(vocab.KINDS_OF_GRANULARITY) == set(enums["supervision_granularity"])
    assert set(vocab.STEPS_OF_LAYER) == set(enums["construction_layer"])
    assert set(vocab.FAMILY_OF_CONTRACT) | {"mixed", "unknown"} == set(enums["verification_contract"])
    assert set(vocab.TRAINING_USE_OF_CARD.values()) <= set(enums["training_use"])
    assert set(vocab.GRANULARITY_OF_KIND.values()) <= set(enums["supervision_granularity"])


def test_the_map_names_only_what_reasonledger_has() -> None:
    assert set(vocab.FAMILIES) == set(get_args(Family))
    assert set(vocab.FAMILY_OF_CONTRACT.values()) == set(get_args(Family))
    kinds = {k.value for k in Kind}
    assert {k for ks in vocab.KINDS_OF_GRANULARITY.values() for k in ks} <= kinds
    assert set(vocab.GRANULARITY_OF_KIND) == kinds
    assert {s for ss in vocab.STEPS_OF_LAYER.values() for s in ss} <= set(known_steps())


def test_mixed_and_unknown_contracts_name_no_family() -> None:
    assert vocab.families(["mixed", "unknown"]) == []
    assert vocab.families(["judgment_required", "mixed"]) == ["judgment"]
    assert vocab.layer_of_step("rollouts") == "trace_writing"
