"""Each contamination hit names its relation on specific evidence; the policy decides what is flagged."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from reasonledger.engine.step import StepContext
from reasonledger.quality.contamination import Benchmark, ContaminationConfig, ContaminationScan, load_benchmark
from reasonledger.quality.embed import EmbedderUnavailable
from reasonledger.quality.quantities import numbers
from reasonledger.quality.relations import RELATIONS, Rarity, RelationRules, expressions
from reasonledger.quality.steps import Decontaminate
from reasonledger.records.model import Kind, Record

STORY = ("Marisol bakes 14 trays of cinnamon rolls with 12 rolls on each tray for the harbour festival. She sells "
         "all but 9 rolls before noon and gives 5 of the rest to the lighthouse keeper. How many rolls did she sell "
         "before noon?")
REMAINDERS = [f"Determine the remainder of {a} (mod {m})." for a, m in ((194, 11), (2023, 7), (88, 5), (1001, 13))]
OTHERS = ["Tom walks 3 miles to the library and back at 2 miles per hour. How long is he away from home?",
          "A garden has 5 rows of tulips with 16 tulips in each row. Rabbits eat a quarter of them. How many are left?",
          "Compute $\\dbinom{8}{4}$.", "Given $f(x) = \\frac{\\sqrt{2x-6}}{x-3}$, what is the smallest integer $x$ "
          "such that $f(x)$ is a real number?"]
ITEMS = [STORY, *REMAINDERS, *OTHERS]


def classify(record: str, item: str = STORY) -> tuple[str | None, dict]:
    return RelationRules().classify(Rarity(ITEMS), item, record)


def test_a_story_retold_with_its_quantities_is_reworded_and_with_other_numbers_renumbered() -> None:
    reworded = ("For the harbour festival Marisol makes cinnamon rolls: 14 trays, 12 on each. Before noon all but 9 "
                "are sold, and the lighthouse keeper gets 5 of the leftovers. How many rolls did she sell before noon?")
    relation, evidence = classify(reworded)
    assert relation == "reworded", evidence
    assert evidence["quantities_kept"] == 1.0 and evidence["support"] == 0 and evidence["rarest_shared"][0] == "cinnamon"
    renumbered = STORY.replace("14", "17").replace("12 rolls", "10 rolls").replace("9 rolls", "6 rolls")
    relation, evidence = classify(renumbered)
    assert relation == "renumbered", evidence
    assert evidence["quantities_kept"] < 0.5 and evidence["question_overlap"] == 1.0


def test_the_question_asked_the_other_way_round_is_derived() -> None:
    reversed_ = ("Marisol bakes trays of cinnamon rolls with 12 rolls on each tray for the harbour festival. She sells "
                 "all but 9 rolls before noon, 159 rolls in all, and gives 5 of the rest to the lighthouse keeper. How "
                 "many trays did she bake?")
    relation, evidence = classify(reversed_)
    assert relation == "derived", evidence
    assert evidence["question_overlap"] < 0.5 and evidence["quantities_kept"] == 0.75


def test_a_generic_phrasing_many_items_share_is_only_a_template() -> None:
    relation, evidence = classify("Determine the remainder of 500 (mod 9).", REMAINDERS[0])
    assert relation == "template", evidence
    assert evidence["support"] >= 2 and "other benchmark items" in evidence["decided_by"]


def test_other_formulas_under_the_same_words_are_another_problem() -> None:
    other = "Given $f(x) = \\frac{\\sqrt{x-1}}{x-2}$, what is the smallest integer $x$ such that $f(x)$ is a real number?"
    relation, evidence = classify(other, OTHERS[3])
    assert relation == "template" and evidence["formulas_kept"] == 0.0, evidence
    assert expressions("It costs $5 and $10 at the fair.") == frozenset()  # prices, not formulas


def test_the_same_text_up_to_formatting_is_verbatim_and_unrelated_text_is_nothing() -> None:
    assert classify(OTHERS[2], OTHERS[2].upper())[0] == "verbatim"
    assert classify("Write a function that reverses a linked list in place.")[0] is None


RETOLD = ("A bakery worker prepared 14 pans holding 12 buns apiece. 9 remained unsold at midday and 5 of the "
          "leftovers went to a neighbour. What number were sold in the morning?")  # STORY, every word changed


def test_quantities_are_read_as_values_whatever_their_spelling() -> None:
    assert Counter(numbers("a quarter of 12 eggs, 50% of $4.00, three-quarters, two-thirds, a decade")) == Counter(
        numbers("1/4 of a dozen eggs, half of $4, 75 percent, 2/3, 10"))
    assert numbers("one-fourth and 3/5 and 2,000") == ("0.25", "0.6", "2000")
    assert numbers("it tripled, then grew twofold") == numbers("three times, then twice")
    assert numbers("Each one gets a pen on one day.") == ()  # a lone "one" is rarely a quantity
    assert numbers("version 1.2.3, 5/0") == ("1.2.3", "5/0")  # no value: kept as written


def test_the_quantity_index_finds_an_item_by_its_rare_numbers_when_every_word_changed() -> None:
    rarity = Rarity(ITEMS)
    assert rarity.by_quantities(RETOLD, floor=2.0, least=4.0, share=0.8, top=3) == [0]
    assert rarity.by_quantities("A farmer has 5 cows.", floor=2.0, least=4.0, share=0.8, top=3) == []  # 5 is common
    assert rarity.by_quantities("He bought 14 pens.", floor=2.0, least=4.0, share=0.8, top=3) == []  # too few of its bits


def test_every_quantity_in_a_text_of_the_same_meaning_is_reworded_without_shared_words() -> None:
    relation, evidence = RelationRules().classify(Rarity(ITEMS), STORY, RETOLD, cosine=0.75)
    assert relation == "reworded" and evidence["shared_bits"] == 0 and "same meaning" in evidence["decided_by"], evidence
    assert classify(RETOLD)[0] is None  # words alone: nothing in common
    dropped = RETOLD.replace(" and 5 of the leftovers went to a neighbour", "")
    assert RelationRules().classify(Rarity(ITEMS), STORY, dropped, cosine=0.75)[0] is None  # a quantity missing
    assert RelationRules().classify(Rarity(ITEMS), STORY, RETOLD, cosine=0.5)[0] is None  # another meaning


FARMS = ["Lee rears only sheep and geese on his farm. If the total number of animal legs is 70, and the total number "
         "of animal heads is 20, how many sheep live on Lee's farm?",
         "Farmer Brown has 20 animals on his farm, all either chickens or cows. They have a total of 70 legs, all "
         "together. How many of the animals are chickens?",
         "A farm has ducks and pigs with 44 legs in total and 15 animals. How many pigs are on the farm?",
         "Ana keeps goats and hens on her farm: 30 animals with a total of 100 legs. How many hens does she keep?"]


def test_two_quantities_other_items_state_together_under_generic_words_are_not_a_copy() -> None:
    """Two classic farm puzzles with 20 heads and 70 legs: the words are a template ("farm", "legs",
    "total"), so only quantities no other item states together could make them one problem."""
    alone = RelationRules().classify(Rarity(FARMS + ITEMS), FARMS[0], FARMS[1], cosine=0.8)
    assert alone[0] == "reworded" and alone[1]["support"] >= 2, alone
    with_other = Rarity([*FARMS, "A shop sold 20 pens and 70 pencils on Monday. How many items did it sell?", *ITEMS])
    relation, evidence = RelationRules().classify(with_other, FARMS[0], FARMS[1], cosine=0.8)
    assert relation is None and evidence["quantities_kept"] == 1.0, evidence


def test_the_second_shortlist_finds_a_retelling_the_cosine_shortlist_misses() -> None:
    bench = Benchmark("toy", "toy", None, [str(i) for i in range(len(ITEMS))], ITEMS)
    records = prompts([RETOLD])
    small = {"shortlist": 0.99, "rare_quantity_bits": 2.0, "quantity_shortlist_bits": 4.0}  # 9 items: no number is rarer
    try:
        scan = ContaminationScan([bench], ContaminationConfig(**small))
    except EmbedderUnavailable as exc:
        pytest.skip(f"semantic pass unavailable: {exc}")
    scan.scan(records)
    result = scan.result()
    assert [(h["benchmark_row"], h["relation"], h["method"]) for h in result["hits"]] == [("0", "reworded", "quantities")]
    assert result["flagged_ids"] == [records[0].id] and result["semantic"]["shortlisted_by_quantities"] == 1
    off = ContaminationScan([bench], ContaminationConfig(**small, quantity_shortlist=False))
    off.scan(records)
    assert off.result()["hits"] == []


def prompts(texts: list[str]) -> list[Record]:
    return [Record(kind=Kind.prompt_answer, task={"prompt": t, "source": {"dataset": "t", "row_id": str(i)}})
            for i, t in enumerate(texts)]


def test_the_policy_decides_what_is_flagged_and_every_relation_is_counted() -> None:
    bench = Benchmark("toy", "toy", None, [str(i) for i in range(len(ITEMS))], ITEMS)
    copy = STORY.replace("Marisol", "Marisol, a baker,")
    records = prompts([copy, "Determine the remainder of 500 (mod 9) when the number is divided.", "Hello there."])
    default = ContaminationScan([bench], ContaminationConfig(semantic=False))
    default.scan(records)
    result = default.result()
    assert result["policy"] == {"drop": ["verbatim", "reworded", "renumbered"], "report": ["derived", "template"]}
    assert result["flagged_ids"] == [records[0].id] and result["by_relation"]["verbatim"] == 1
    assert all(hit["relation"] in RELATIONS and "evidence" in hit for hit in result["hits"])
    strict = ContaminationScan([bench], ContaminationConfig(semantic=False, drop=["template"]))
    strict.scan(records)
    assert strict.result()["flagged"] == 0  # the copy is verbatim, which this policy keeps


def test_the_decontaminate_step_drops_by_policy_and_counts_relations(tmp_path: Path) -> None:
    bench = tmp_path / "bench.jsonl"
    bench.write_text("".join(json.dumps({"question": t}) + "\n" for t in ITEMS))
    spec = f"jsonl:{bench}?prompt_field=question&name=toy"
    records = prompts([STORY, "Hello there."])
    ctx = StepContext("stage-00", 0, str(tmp_path), "decontaminate")
    kept = list(Decontaminate(against=[spec], semantic=False).process(iter(records), ctx))
    assert [r.id for r in kept] == [records[1].id]
    assert ctx.mine.by["relation"]["verbatim"] == 1
    ctx = StepContext("stage-00", 0, str(tmp_path), "decontaminate")
    kept = list(Decontaminate(against=[spec], semantic=False, drop=["derived"]).process(iter(records), ctx))
    assert len(kept) == 2 and ctx.mine.by["relation"]["verbatim"] == 1


def scan_of(benchmark: str, records: list[Record]) -> ContaminationScan:
    try:
        scan = ContaminationScan([load_benchmark(benchmark)])
    except EmbedderUnavailable as exc:
        pytest.skip(f"semantic pass unavailable: {exc}")
    scan.scan(records)
    return scan


def test_gsm_plus_rewrites_get_the_relation_their_rewrite_made(shared_data: Path) -> None:
    """The issue's bars (97% and 90%), floors at or just under the figures in benchmarks/quality.md;
    rephrasings ("problem understanding", 293 of 300) need the second shortlist on quantities."""
    rows = [json.loads(line) for line in (shared_data / "gsmplus/testmini.jsonl").read_text().splitlines()]
    records = prompts([r["question"] for r in rows])
    benchmark = f"gsm8k:{shared_data}/gsm8k/test.jsonl"
    bench = load_benchmark(benchmark)
    row_of = {text.strip(): row for row, text in zip(bench.rows, bench.texts)}
    seed = {rec.id: row_of[r["seed_question"].strip()] for rec, r in zip(records, rows)}
    found: dict[str, str] = {}
    hits = scan_of(benchmark, records).result()["hits"]
    assert sum(h["method"] == "quantities" and h["benchmark_row"] == seed[h["record_id"]] for h in hits) >= 20
    for hit in hits:
        if hit["benchmark_row"] == seed[hit["record_id"]]:
            old = found.get(hit["record_id"])
            found[hit["record_id"]] = hit["relation"] if old is None else min(old, hit["relation"], key=RELATIONS.index)
    table: dict[str, Counter] = {}
    for rec, r in zip(records, rows):
        table.setdefault(r["perturbation_type"], Counter())[found.get(rec.id, "none")] += 1
    same = lambda kind: sum(table[kind][r] for r in ("verbatim", "reworded", "renumbered")) / 300  # noqa: E731
    for kind in ("numerical substitution", "digit expansion", "integer-decimal-fraction conversion",
                 "distraction insertion"):
        assert same(kind) >= 0.96, (kind, table[kind])
    assert same("problem understanding") >= 0.97, table["problem understanding"]
    for kind in ("adding operation", "reversing operation", "critical thinking"):
        assert (same(kind) * 300 + table[kind]["derived"]) / 300 >= 0.93, (kind, table[kind])
    assert table["reversing operation"]["derived"] >= 60  # a question asked the other way round is not a copy


def test_processbench_math_against_itself_keeps_different_problems_at_template(shared_data: Path) -> None:
    rows = json.loads((shared_data / "processbench/math.json").read_text())
    records = prompts([r["problem"] for r in rows])
    scan = scan_of(f"processbench:{shared_data}/processbench/math.json", records)
    index = {rec.id: i for i, rec in enumerate(records)}
    stronger = set()
    for hit in scan.result()["hits"]:
        i, j = index[hit["record_id"]], scan.benchmarks[0].rows.index(hit["benchmark_row"])
        if i != j and RELATIONS.index(hit["relation"]) < RELATIONS.index("template"):
            stronger.add((min(i, j), max(i, j)))
    same_text = {(i, j) for i, j in stronger if " ".join(rows[i]["problem"].lower().split())
                 == " ".join(rows[j]["problem"].lower().split())}
    assert len(same_text) >= 40  # ProcessBench solves some problems twice, by different generators (45)
    assert not stronger - same_text, sorted(stronger - same_text)  # different problems stay at template at most


def test_gsm8k_test_against_itself_names_few_different_rows_a_copy(shared_data: Path) -> None:
    """GSM8K holds near-templates of its own (a question asked the other way round, the same
    puzzle with other numbers): 8 pairs of different rows are named stronger than template (7
    before the second shortlist), 4 of them reworded or renumbered (benchmarks/quality.md lists them)."""
    benchmark = f"gsm8k:{shared_data}/gsm8k/test.jsonl"
    bench = load_benchmark(benchmark)
    records = prompts(bench.texts)
    index_of, item_of = {r.id: i for i, r in enumerate(records)}, {row: j for j, row in enumerate(bench.rows)}
    pairs: dict[tuple[int, int], str] = {}
    for hit in scan_of(benchmark, records).result()["hits"]:
        i, j = index_of[hit["record_id"]], item_of[hit["benchmark_row"]]
        if i != j and hit["relation"] != "template":
            pairs[(min(i, j), max(i, j))] = min(pairs.get((min(i, j), max(i, j)), "derived"), hit["relation"],
                                                key=RELATIONS.index)
    assert len(pairs) <= 9, pairs
    assert sum(r in ("verbatim", "reworded", "renumbered") for r in pairs.values()) <= 4, pairs


def test_the_audit_command_takes_the_policy(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from reasonledger.cli import app

    bench, data = tmp_path / "bench.jsonl", tmp_path / "data.jsonl"
    bench.write_text("".join(json.dumps({"question": t}) + "\n" for t in ITEMS))
    data.write_text(json.dumps({"question": STORY}) + "\n" + json.dumps({"question": "Hello there."}) + "\n")
    for drop, flagged in ((["--drop", "verbatim"], 1), (["--drop", "derived", "--drop", "template"], 0)):
        out = tmp_path / f"audit-{flagged}"
        result = CliRunner().invoke(app, ["audit", f"jsonl:{data}?prompt_field=question", "--against",
                                          f"jsonl:{bench}?prompt_field=question&name=toy", "--only", "contamination",
                                          "--no-semantic", "--out", str(out), "--quiet", *drop])
        assert result.exit_code == 0, result.output
        section = json.loads((out / "audit.json").read_text())["contamination"]
        assert section["flagged"] == flagged and section["by_relation"]["verbatim"] == 1
        assert section["policy"]["drop"] == drop[1::2]
