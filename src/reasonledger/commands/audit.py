"""`reasonledger audit`: contamination, duplicates, difficulty and the known traps, as a report."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from reasonledger.commands._common import Ticker, console, fail, finish, report_bad, split_bad


def register(app: typer.Typer) -> None:
    @app.command()
    def audit(
        data: str = typer.Argument(..., help="Records: a run or data dir, Parquet, JSONL, or FORMAT:PATH[?opt=value&...]."),
        out: Path = typer.Option(..., "--out", "-o", help="Directory for audit.json, audit.md and audit.html: new or "
                                 "empty (RUN/audit for a run's card), written whole at the end."),
        against: list[str] = typer.Option([], "--against", "-a", help="A benchmark: FORMAT:PATH[?opt=value&...] "
                                          "(e.g. gsm8k:test.jsonl, jsonl:mbpp.jsonl?prompt_field=text), a data dir, "
                                          "or hf:NAME?split=test&prompt_field=question. Repeatable."),
        ngram: int = typer.Option(8, help="Contamination: n of the word n-grams."),
        min_containment: float = typer.Option(0.5, help="Contamination: share of a benchmark item's n-grams that flags."),
        digits_to_zero: bool = typer.Option(True, "--digits-to-zero/--keep-digits", help="Contamination: every number compares equal."),
        lowercase: bool = typer.Option(True, "--lowercase/--keep-case", help="Contamination: compare words case-folded."),
        punctuation: bool = typer.Option(True, "--strip-punctuation/--keep-punctuation",
                                         help="Contamination: punctuation breaks words."),
        semantic: bool = typer.Option(True, "--semantic/--no-semantic", help="Contamination: the paraphrase pass."),
        shortlist: float = typer.Option(0.80, help="Semantic pass: cosine that shortlists a benchmark item."),
        drop: list[str] = typer.Option([], "--drop", help="Contamination: a relation that flags a record (repeatable: "
                                       "verbatim, reworded, renumbered, derived, template; default the first three, "
                                       "the others are reported)."),
        near_dup_threshold: float = typer.Option(0.8, help="Near-duplicates: Jaccard of word 3-gram sets."),
        near_dup_text: str = typer.Option("prompt", help="Near-duplicates: compare the `prompt` or the whole `record`."),
        verifier: str = typer.Option(None, help="Difficulty/length trap: use verdicts of this verifier (default: the commonest)."),
        band: str = typer.Option("0.25,0.75", help="Difficulty: the pass-rate band LOW,HIGH."),
        run_verifier: str = typer.Option(None, "--run-verifier", help="Verifier agreement: run this verifier on every "
                                         "judged target and compare it with the stored verdicts (e.g. math)."),
        run_input: str = typer.Option("stated_answer", help="What --run-verifier sees: stated_answer or response."),
        embedding_map: bool = typer.Option(True, "--map/--no-map", help="Mixture: the 2-D embedding map."),
        only: list[str] = typer.Option([], "--only", help="Run only these audits (repeatable): contamination, "
                                       "near_duplicates, exact_duplicates, difficulty, length_trap, "
                                       "trace_answer_consistency, verifier_agreement, lineage_completeness, agent_failures, mixture, "
                                       "or an audit section a plugin adds (`reasonledger plugins`)."),
        judge_probes: bool = typer.Option(False, "--judge-probes", help="Probe every model judge the records name "
                                          "(master keys, verdict tokens, injection, echo, hedge, ...) and write "
                                          "OUT/judge_cards/: each judge's card, with whether it is safe as an RL reward."),
        probe_limit: int = typer.Option(1000, help="--judge-probes: tasks probed per judge (0 false positives in "
                                        "1,000 bound the rate below 0.4%)."),
        strict: bool = typer.Option(False, "--strict", help="Exit 1 (not 3) when any row is bad."),
        force: bool = typer.Option(False, "--force", help="Replace an existing --out (only an audit reasonledger wrote)."),
        quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
    ) -> None:
        """Audit a dataset; writes OUT/audit.json, audit.md and audit.html (self-contained)."""
        from pydantic import ValidationError

        from reasonledger.engine.rundir import OwnershipError, RunDir, check_apart, staged_output
        from reasonledger.quality.audit import AuditConfig, Auditor
        from reasonledger.quality.embed import EmbedderUnavailable
        from reasonledger.formats.spec import SpecError, open_records, parse_spec
        from reasonledger.quality.report import TITLES, headline, write_report
        from reasonledger.records.io import data_path
        from reasonledger.records.quarantine import Quarantine
        from reasonledger.verifiers.judgment.consent import JudgmentNotAllowed

        try:
            low, high = (float(x) for x in band.split(","))
            config = AuditConfig(
                **({"sections": only} if only else {}), against=against, verifier=verifier, band=(low, high), run_verifier=run_verifier, run_input=run_input,
                embedding_map=embedding_map,
                contamination={"n": ngram, "min_containment": min_containment, "digits_to_zero": digits_to_zero,
                               "lowercase": lowercase, "punctuation": punctuation, "semantic": semantic,
                               "shortlist": shortlist, **({"drop": drop} if drop else {})},
                near_duplicates={"threshold": near_dup_threshold, "text": near_dup_text})
        except (ValueError, ValidationError) as exc:
            fail(f"bad option: {exc}")
        try:
            # An audit may go inside a run it reads (RUN/audit, where the card looks), never into the data read.
            read = [parse_spec(spec) for spec in (data, *against)]
            local = [Path(spec.path) for spec in read if spec.fmt != "hf"]
            check_apart(out, local, inside_ok=True)
            with staged_output(out, "audit", [data_path(p) for p in local], force) as staging:
                auditor = Auditor(config)
                with Ticker("audit: reading", quiet) as ticker, Quarantine(staging / "rejected") as quarantine:
                    auditor.add_many(ticker.wrap(split_bad(open_records(read[0]), quarantine, report_bad)))
                result = auditor.finish()
                write_report(result, staging, auditor.points, getattr(auditor, "point_sources", None))
                if judge_probes:
                    from reasonledger.records.model import Record
                    from reasonledger.verifiers.judgment.probe_audit import audit_judges, write_cards

                    cards = audit_judges((r for r in open_records(read[0]) if isinstance(r, Record)), probe_limit)
                    write_cards(cards, staging / "judge_cards")
        except (FileNotFoundError, SpecError, EmbedderUnavailable, KeyError, RuntimeError, OwnershipError,
                JudgmentNotAllowed) as exc:
            fail(str(exc))
        for key, title in TITLES.items():
            if key not in result:
                continue
            console.print(f"[bold]{escape(title)}[/bold]: {escape(headline(key, result[key]))}")
        console.print(escape(f"wrote {out / 'audit.json'}, {out / 'audit.md'}, {out / 'audit.html'}"))
        if judge_probes and not cards:
            console.print("judge probes: no record names a model judge (judge, rubric or pairwise)")
        for card in cards if judge_probes else []:
            verdict = "safe as an RL reward" if card["safe_as_reward"] else "NOT safe as an RL reward: " + "; ".join(
                card["unsafe_because"])
            console.print(escape(f"judge {card['id']} {card['config_hash']}: {verdict} "
                                 f"(card: {out / 'judge_cards' / (card['id'] + '-' + card['config_hash'])}.md)"))
        finish(quarantine.count, strict, RunDir(out).quarantine if quarantine.count else None)
