"""Near-duplicates under a shared instruction: the instruction is a template, reported apart; only
what is specific to each task is compared, so distinct tasks stay apart and true near-duplicates
are still found."""

from __future__ import annotations

import random

import numpy as np

from reasonledger.quality.audit import AuditConfig, audit_records
from reasonledger.quality.minhash import NearDupConfig, near_duplicates, shingles
from reasonledger.quality.templates import template_shingles
from reasonledger.records.model import Record

INSTRUCTION = ("In solving equations, please follow these instructions:\n"
               "1. Provide all answers as comma-separated decimal values, for example -0.3773, 0.4005.\n"
               "2. For solutions that can be expressed in exact form, convert them to decimal form in your answer.\n"
               "3. If there are no real values that satisfy the equation, report your answer as an empty string.\n"
               "4. Format your answer based on the number of solutions found, one value per solution.\n"
               "5. Round all decimal values to 4 decimal places, rounding down when the fifth place is 5 or more.")


def task(rng: random.Random) -> str:
    terms = " + ".join(f"{rng.randint(2, 99)}*x**{k}" for k in range(rng.randint(4, 6), 0, -1))
    if rng.random() < 0.2:  # a fifth put the equation on the first line: the instruction starts a line earlier
        return f"Determine the real value(s) of x that satisfies: {terms} = 0\n{INSTRUCTION}"
    return f"Solve the polynomial equation for real x:\n{terms} - {rng.randint(1, 99)} = 0\n{INSTRUCTION}"


def family(count: int = 400, seed: int = 5) -> list[str]:
    rng = random.Random(seed)
    return [task(rng) for _ in range(count)]


def test_distinct_tasks_under_a_long_instruction_are_a_template_not_near_duplicates() -> None:
    texts = family()
    without = near_duplicates(texts, NearDupConfig(templates=False))
    assert max(map(len, without.clusters)) > 200  # the instruction alone makes hundreds of them one cluster
    found = near_duplicates(texts, NearDupConfig())
    assert found.clusters == [] and found.pairs == []
    [template] = found.templates
    assert template.texts == template.holding == 400 and template.only_template == 0
    assert template.shingles >= 80  # the instruction's shingles (about 90 words), none of the equations'
    assert found.template_members(0).tolist() == list(range(400))


def test_true_near_duplicates_under_the_instruction_are_still_found() -> None:
    texts = family()
    rng = random.Random(9)
    planted = []
    for source in rng.sample([i for i, text in enumerate(texts) if text.startswith("Solve")], 30):
        head, rest = texts[source].split("\n", 1)
        equation, instruction = rest.split("\n", 1)
        texts.append(f"{head}\n{equation} + 0*x**5\n{instruction}")  # the same task, one term added
        planted.append((source, len(texts) - 1))
    found = near_duplicates(texts, NearDupConfig(threshold=0.6))
    reported = {(i, j) for i, j, _ in found.iter_pairs()}
    assert set(planted) <= reported
    assert all(len(cluster) == 2 for cluster in found.clusters) and len(found.templates) == 1


def test_a_template_is_searched_within_its_source_only() -> None:
    """An instruction shared by one source is that source's template; a source too small, or a
    phrase below the share, is compared in full."""
    texts = family(100)
    config = NearDupConfig(template_share=0.3, template_min_texts=20)
    flat, from_end, offsets = shingles(texts, config)
    sources = np.array([0] * 60 + [1] * 15 + [2] * 25)
    mask, templates = template_shingles([flat, from_end], offsets, sources, config.template_share, config.template_min_texts)
    assert [t.group for t in templates] == [0, 2]  # source 1 has 15 texts, under the minimum of 20
    owner = np.repeat(np.arange(len(texts)), np.diff(offsets))
    assert not mask[np.isin(owner, range(60, 75))].any()
    assert templates[0].digest == templates[1].digest  # the same instruction, the same digest
    # below the share: a phrase in 5 of 60 texts stays specific
    texts = [t.replace("Solve", "Kindly and carefully solve", 1) if i < 5 else t for i, t in enumerate(family(60))]
    flat, from_end, offsets = shingles(texts, config)
    mask, _ = template_shingles([flat, from_end], offsets, np.zeros(60, np.int64), 0.3, 20)
    owner = np.repeat(np.arange(60), np.diff(offsets))
    assert (~mask[owner == 0]).sum() > (~mask[owner == 5]).sum()


def test_grids_are_compared_row_by_row_in_place() -> None:
    """0/1 grids have a handful of distinct word 3-grams; with each line's number in its shingles,
    different boards are apart and a board with one cell changed is near."""
    rng = random.Random(2)

    def board() -> list[list[int]]:
        cells = [[0] * 12 for _ in range(12)]
        for _ in range(6):
            cells[rng.randrange(12)][rng.randrange(12)] = 1
        return cells

    def show(cells: list[list[int]]) -> str:
        return "Will this game halt? Initial board:\n" + "\n".join("[" + " ".join(map(str, row)) + "]" for row in cells)

    boards = [board() for _ in range(200)]
    changed = [row[:] for row in boards[0]]
    changed[11][11] ^= 1
    texts = [show(b) for b in boards] + [show(changed)]
    flat_text = near_duplicates(texts, NearDupConfig(by_line=False, templates=False))
    assert max(map(len, flat_text.clusters)) > 150  # without positions every board looks alike
    found = near_duplicates(texts, NearDupConfig())
    assert found.clusters == [[0, 200]]


def test_audit_lists_template_clusters_apart_from_near_duplicates() -> None:
    def record(number: int, prompt: str, family_name: str) -> Record:
        return Record(kind="prompt_answer", task={"prompt": prompt, "source": {"dataset": "gym", "row_id": str(number)}},
                      meta={"task_family": family_name})

    texts = family(120)
    records = [record(i, text, "polynomial_equations") for i, text in enumerate(texts)]
    records.append(record(120, texts[3], "polynomial_equations"))  # an exact copy: a near-duplicate, Jaccard 1
    records += [record(121 + i, f"Sort these words: {' '.join(map(str, random.Random(i).sample(range(10**6), 8)))}", "word_sorting")
                for i in range(30)]
    result, _ = audit_records(records, AuditConfig(sections=["near_duplicates"], embedding_map=False))
    section = result["near_duplicates"]
    assert section["flagged"] == 1 and section["cluster_examples"] == [[records[3].id, records[120].id]]
    cluster, sorting = section["template_clusters"]  # "Sort these words:" is word_sorting's template
    assert (sorting["source"], sorting["records"], sorting["shingles"]) == ("word_sorting", 30, 1)
    assert cluster["source"] == "polynomial_equations" and cluster["records"] == 121
    assert cluster["distinct_prompts"] == 120 and cluster["example"] == records[0].id and len(cluster["digest"]) == 16
