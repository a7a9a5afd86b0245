"""`reasonledger scaling passk|fit|reuse`: pass@k and pass@(k,T), scaling-curve fits, reuse accounting."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table

from reasonledger.commands._common import EXIT_QUARANTINED, console, fail, print_json
from reasonledger.records.model import Record
from reasonledger.records.quarantine import BadRow

SHOWN_BAD_ROWS = 10


class _Reader:
    """Records from a path; bad rows are reported (never dropped silently) and counted."""

    def __init__(self) -> None:
        self.bad = 0

    def records(self, path: Path) -> Iterator[Record]:
        from reasonledger.records.io import read_records  # Parquet (pyarrow) loads only when a command reads

        try:
            for item in read_records(path):
                if isinstance(item, BadRow):
                    self.bad += 1
                    if self.bad <= SHOWN_BAD_ROWS:
                        console.print(f"[yellow]bad row[/yellow] {escape(item.message())}")
                    continue
                yield item
        except FileNotFoundError as exc:
            fail(str(exc))

    def finish(self) -> None:
        if self.bad:
            console.print(f"[yellow]{self.bad:,} bad row(s) were not counted; check them with "
                          f"`reasonledger validate`[/yellow]")
            raise typer.Exit(EXIT_QUARANTINED)


def _ints(text: str | None, option: str) -> list[int] | None:
    if not text:
        return None
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option} {text!r}: expected comma-separated whole numbers, e.g. 1,2,4")
    if not values or min(values) < 1:
        fail(f"{option} {text!r}: every value must be at least 1")
    return values


def _cell(estimate: dict[str, Any]) -> str:
    if estimate["value"] is None:
        return "-"
    return f"{estimate['value']:.3f} [{estimate['low']:.3f}, {estimate['high']:.3f}]"


def _estimate_table(title: str, rows: dict[str, dict[str, dict[str, Any]]], first: str) -> Table:
    columns = list(next(iter(rows.values())))
    table = Table(title=escape(title))
    table.add_column(first)
    table.add_column("problems", justify="right")
    for column in columns:
        table.add_column(escape(column), justify="right")
    from reasonledger.scaling.passk import problems_label

    for name, cells in rows.items():
        table.add_row(escape(name), problems_label(cells), *(escape(_cell(cells[c])) for c in columns))
    return table


def _show_notes(report: dict[str, Any]) -> None:
    for reason, n in report.get("skipped", {}).items():
        console.print(escape(f"  skipped {n:,} record(s): {reason}"))
    for note in report.get("notes", []):
        console.print(f"[yellow]note:[/yellow] {escape(note)}")


def register(app: typer.Typer) -> None:
    scaling = typer.Typer(help="How reasoning data scales: pass@k, pass@(k,T), scaling curves, prompt reuse.",
                          no_args_is_help=True)
    app.add_typer(scaling, name="scaling")

    @scaling.command("passk")
    def passk(
        data: Path = typer.Argument(..., help="rollout_set records (a run or import directory, Parquet, or JSONL)."),
        k: str = typer.Option(None, "--k", help="Comma-separated k values (default: 1, 2, 4, ... up to the smallest n)."),
        verifier: str = typer.Option(None, "--verifier", help="Use verdicts of this verifier (needed when several judged the rollouts)."),
        budgets: str = typer.Option(None, "--budgets", help="Token budgets T for pass@(k,T), e.g. 1024,4096."),
        budget_mode: str = typer.Option("auto", "--budget-mode", help="auto, truncation or announced (see docs)."),
        tokens_field: str = typer.Option("tokens", "--tokens-field", help="rollout.meta field with the rollout's completion tokens."),
        bootstrap: int = typer.Option(1000, "--bootstrap", min=1, help="Bootstrap resamples of problems."),
        level: float = typer.Option(0.95, "--level", min=0.5, max=0.999, help="Confidence level of the intervals."),
        seed: int = typer.Option(0, "--seed", help="Seed of the bootstrap."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Unbiased pass@k with intervals over problems (never zero width at 0 or 1), per source and overall; pass@(k,T) with --budgets."""
        from reasonledger.records.targets import VerdictChoiceError
        from reasonledger.scaling.budget import passk_budget_report
        from reasonledger.scaling.passk import collect_outcomes, passk_report

        if budget_mode not in ("auto", "truncation", "announced"):
            fail(f"--budget-mode {budget_mode!r}: expected auto, truncation or announced")
        reader = _Reader()
        try:
            outcomes = collect_outcomes(reader.records(data), verifier, tokens_field)
        except VerdictChoiceError as exc:
            fail(str(exc))
        if not outcomes.problems:
            reasons = "; ".join(f"{n:,} {r}" for r, n in outcomes.skipped.items()) or "no records"
            fail(f"{data}: no rollout_set record with a verdict on every rollout ({reasons})")
        ks = _ints(k, "--k")
        report = passk_report(outcomes, ks, bootstrap, level, seed)
        mode = None if budget_mode == "auto" else budget_mode
        budget = passk_budget_report(outcomes.problems, _ints(budgets, "--budgets"), report["ks"], mode,
                                     bootstrap, level, seed)
        if budgets and budget is None:
            fail(f"--budgets: no rollout carries a token count (rollout.meta.{tokens_field}) or an announced budget "
                 f"(meta.budget); pass@(k,T) needs one of them")
        report["passk_budget"] = budget
        if as_json:
            print_json(json.dumps(report, sort_keys=True))
        else:
            console.print(_estimate_table(f"pass@k over {report['problems']:,} problems ({level:.0%} intervals; problems "
                                          f"per k when they differ)",
                                          report["table"], "source"))
            _show_notes(report)
            if budget:
                overall = {f"T={t}": cells for t, cells in budget["table"].items()}
                console.print(_estimate_table("pass@(k,T), all problems", overall, "budget"))
                console.print(f"[bold]{escape(budget['mode'])}:[/bold] {escape(budget['note'])}")
                for t, reasons in budget["skipped"].items():
                    for reason, n in reasons.items():
                        console.print(escape(f"  T={t}: {n:,} problem(s) left out: {reason}"))
        reader.finish()

    @scaling.command("fit")
    def fit(
        curve_csv: Path = typer.Argument(..., help="CSV with compute and reward columns (and curve, for several runs)."),
        compute_column: str = typer.Option("compute", "--compute-column"),
        reward_column: str = typer.Option("reward", "--reward-column"),
        curve_column: str = typer.Option("curve", "--curve-column", help="Column naming the run each point belongs to."),
        r0: float = typer.Option(None, "--r0", help="Fix the starting reward R0 instead of fitting it."),
        baseline: str = typer.Option(None, "--baseline", help="Curve the others' gains are split against (default: the first)."),
        at: float = typer.Option(None, "--at", help="Compute at which gains are split (default: the largest both runs reached)."),
        bootstrap: int = typer.Option(500, "--bootstrap", min=0, help="Parameter draws from each fit's t distribution, "
                                      "for the intervals of gain splits."),
        level: float = typer.Option(0.95, "--level", min=0.5, max=0.999),
        seed: int = typer.Option(0, "--seed"),
        save: Path = typer.Option(None, "--save", help="Run directory (the --out of `reasonledger build`) to keep "
                                  "the fit in (its card then shows it)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Fit R(C) = R0 + (A - R0) / (1 + (C_mid/C)^B) with t intervals, lack-of-fit and monotonicity checks; split gains into ceiling and efficiency."""
        from reasonledger.scaling.card import save_curves
        from reasonledger.scaling.curves import CurveFileError, fit_curves, read_curve_csv
        from reasonledger.scaling.sigmoid import FitError

        if save:
            from reasonledger.engine.rundir import OwnershipError, check_run_dir

            try:
                check_run_dir(save)  # the fit is written into the run: only one reasonledger made, with no links
            except OwnershipError as exc:
                fail(f"--save {exc}")
        try:
            report = fit_curves(read_curve_csv(curve_csv, compute_column, reward_column, curve_column),
                                r0, baseline, at, bootstrap, level, seed)
        except (CurveFileError, FitError) as exc:
            fail(str(exc))
        if save:
            console.print(escape(f"saved to {save_curves(save, report)}"))
        if as_json:
            print_json(json.dumps(report, sort_keys=True))
            return
        from reasonledger.scaling.curves import FIT_COLUMNS, fit_row, gain_line

        table = Table(title=escape(f"{report['model']} ({level:.0%} t intervals)"))
        for column in FIT_COLUMNS:
            table.add_column(column, justify="left" if column in ("curve", "checks") else "right")
        for name, result in report["fits"].items():
            table.add_row(*map(escape, fit_row(name, result)))
        console.print(table)
        for name, result in report["fits"].items():
            for warning in result["warnings"]:
                console.print(f"[yellow]warning ({escape(name)}):[/yellow] {escape(warning)}")
        for name, gain in report.get("gains", {}).items():
            console.print(escape(gain_line(name, report["baseline"], gain)))
            for warning in gain["warnings"]:
                console.print(f"[yellow]warning ({escape(name)} vs {escape(report['baseline'])}):[/yellow] {escape(warning)}")

    @scaling.command("reuse")
    def reuse(
        data: Path = typer.Argument(..., help="One record per prompt visit, in training order (meta.step when present)."),
        pool: Path = typer.Option(None, "--pool", help="The prompt set trained on, for epochs and coverage."),
        verifier: str = typer.Option(None, "--verifier", help="Verdicts of this verifier give the pass rates."),
        band: str = typer.Option("0,1", "--band", help="Active band LOW,HIGH: pass rates strictly between them."),
        windows: int = typer.Option(10, "--windows", min=1, help="Time windows for the active-band share."),
        time_field: str = typer.Option("step", "--time-field", help="record.meta field with the training step."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Unique prompts, visits, reuse rate, epochs, answers per prompt, and the active-band share over time."""
        from reasonledger.records.targets import VerdictChoiceError
        from reasonledger.scaling.reuse import reuse_report

        try:
            low, high = (float(v) for v in band.split(","))
        except ValueError:
            fail(f"--band {band!r}: expected LOW,HIGH, e.g. 0,1")
        reader = _Reader()
        try:
            report = reuse_report(reader.records(data), reader.records(pool) if pool else None, verifier,
                                  low, high, windows, time_field)
        except VerdictChoiceError as exc:
            fail(str(exc))
        if as_json:
            print_json(json.dumps(report, sort_keys=True))
        else:
            table = Table(title=escape(f"prompt reuse in {data}"))
            table.add_column("measure")
            table.add_column("value", justify="right")
            for key in ("visits", "unique_prompts", "reuse_rate", "epochs", "pool_prompts", "pool_coverage", "answers"):
                if report.get(key) is not None:
                    value = report[key]
                    table.add_row(key, f"{value:,}" if isinstance(value, int) else f"{value:.4f}")
            for key in ("visits_per_prompt", "answers_per_prompt"):
                s = report[key]
                table.add_row(key, f"mean {s['mean']:.2f}, median {s['median']:g}, max {s['max']:g}")
            console.print(table)
            active = report["active_band"]
            windows_table = Table(title=escape(f"share of judged visits with {low:g} < pass rate < {high:g}, by {active['time']}"))
            for column in ("from", "to", "visits", "judged", "active share"):
                windows_table.add_column(column, justify="right")
            for w in active["windows"]:
                windows_table.add_row(f"{w['start']:g}", f"{w['end']:g}", f"{w['visits']:,}", f"{w['judged']:,}",
                                      "-" if w["active_share"] is None else f"{w['active_share']:.3f}")
            console.print(windows_table)
        reader.finish()
