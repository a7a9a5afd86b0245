"""Coverage reads reasonledger's side from its registries: a new step or verifier shows up by itself."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reasonledger.atlas import load
from reasonledger.atlas.coverage import KINDS, built_kinds, coverage
from reasonledger.engine import step as step_module
from reasonledger.engine.step import Step, StepContext, register_step
from reasonledger.formats.importers import IMPORTERS
from reasonledger.records.model import Kind, Record
from reasonledger.verifiers import available_verifiers, verifier_class
from reasonledger.verifiers.base import Verifier
from reasonledger.verifiers.registry import VERIFIERS, register


class _EpisodeStep(Step):
    name = "test_atlas_episodes"

    def process(self, records: Iterator[Record], ctx: StepContext) -> Iterator[Record]:
        for record in records:
            yield Record(kind=Kind.episode, task=record.task, behaviour={"actions": [{"action": "look"}]})


class _Sandbox(Verifier):
    id = "test_atlas_sandbox"
    version = "0.0.1"
    family = "environmental"


@pytest.fixture
def extra_registrations() -> Iterator[None]:
    step_module.known_steps()  # fill the registry first, so our entry is the only one removed afterwards
    register_step(_EpisodeStep)
    register(_Sandbox)
    yield
    step_module.STEPS.remove(_EpisodeStep.name)
    VERIFIERS.remove(_Sandbox.id)


def test_verifiers_sit_in_their_family_row() -> None:
    cov = coverage(list(load().entries))
    for name in available_verifiers():
        if name not in cov.unavailable_verifiers:
            assert name in cov.verifiers[verifier_class(name).family]


def test_importers_by_the_kinds_they_build() -> None:
    cov = coverage(list(load().entries))
    assert "processbench" in cov.importers["step_trace"]
    assert "gsm8k" in cov.importers["prompt_answer"] and "gsm8k-solutions" in cov.importers["rollout_set"]
    assert "openai-tools" in cov.importers["tool_trajectory"]  # a preset (a partial of the generic reader)
    assert cov.any_kind_importers == [n for n in sorted(IMPORTERS) if not built_kinds(IMPORTERS[n])]
    assert "preference_pairs" in cov.steps["preference_pair"] and "verify" in cov.any_kind_steps


def test_a_new_step_and_verifier_change_the_cells(extra_registrations: None) -> None:
    cov = coverage(list(load().entries))
    # beside the built-in episode step and environment verifier, each in its own row
    assert cov.steps["episode"] == sorted(["episodes", "test_atlas_episodes"])
    assert {"environment", "test_atlas_sandbox"} <= set(cov.verifiers["environmental"])
    assert "test_atlas_sandbox" not in {name for family, names in cov.verifiers.items()
                                        if family != "environmental" for name in names}
    assert cov.tool("environmental", "episode")
    assert not cov.tool("judgment", "episode") or cov.verifiers["judgment"]


def test_atlas_side_of_each_cell_matches_the_entries() -> None:
    entries = list(load().entries)
    cells = coverage(entries).as_json()["cells"]
    assert len(cells) == 3 * len(KINDS)
    for cell in cells:
        assert set(cell["atlas_entries"]) == {e.id for e in entries if cell["family"] in e.families
                                              and cell["kind"] in e.kinds}
