"""`reasonledger audit` on the real GSM8K example rollouts (skips when ../shared/data is absent)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from reasonledger.cli import app
from reasonledger.verifiers import get_verifier

SECTIONS = {"config", "contamination", "near_duplicates", "exact_duplicates", "difficulty", "length_trap",
            "trace_answer_consistency", "verifier_agreement", "lineage_completeness", "mixture"}


def comparison_verifier() -> str:
    """math when its engineer's module is importable, else exact on the stated final answer."""
    try:
        get_verifier("math")
        return "math"
    except KeyError:
        return "exact"


@pytest.fixture(scope="module")
def audited(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, str]:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"real test data not found at {SHARED_DATA}")
    out = tmp_path_factory.mktemp("audit")
    verifier = comparison_verifier()
    result = CliRunner().invoke(app, [
        "audit", f"gsm8k-solutions:{SHARED_DATA}/gsm8k/example_model_solutions.jsonl", "--out", str(out),
        "--against", f"gsm8k:{SHARED_DATA}/gsm8k/test.jsonl",
        "--against", f"jsonl:{SHARED_DATA}/mbpp/mbpp.jsonl?prompt_field=text&name=mbpp",
        "--run-verifier", verifier])
    assert result.exit_code == 0, result.output
    return out, json.loads((out / "audit.json").read_text()), verifier


def test_every_section_is_written(audited: tuple[Path, dict, str]) -> None:
    out, report, _ = audited
    assert SECTIONS <= set(report)
    assert (out / "audit.md").read_text().startswith("# Data audit")
    assert report["config"]["contamination"]["n"] == 8 and report["config"]["near_duplicates"]["bands"] > 0


def test_difficulty_carries_its_conditioning(audited: tuple[Path, dict, str]) -> None:
    difficulty = audited[1]["difficulty"]
    assert difficulty["applicable"] and difficulty["prompts"] == 1319
    assert set(difficulty["conditioning"]["policy"]) == {"6b_finetuning", "6b_verification", "175b_finetuning", "175b_verification"}
    assert difficulty["conditioning"]["n"] == {"4": 1319}
    assert difficulty["conditioning"]["temperature"] == {"unknown": 4 * 1319}
    assert difficulty["conditioning"]["verifier"].startswith("gsm8k_authors_grader@")
    assert 0 < difficulty["band"]["share"] < 1 and sum(difficulty["histogram"]["counts"]) == 1319
    assert 0 < difficulty["mean_pass_rate"] < 1


def test_length_trap_is_measured_per_policy(audited: tuple[Path, dict, str]) -> None:
    trap = audited[1]["length_trap"]
    assert trap["overall"]["attempts"] == 4 * 1319 and -1 <= trap["overall"]["pooled"]["r"] <= 1
    assert len(trap["by_policy"]) == 4 and trap["overall"]["mean_words_wrong"] is not None
    assert trap["trap"] == any(g["flagged"] for g in [trap["overall"], *trap["by_source"].values(), *trap["by_policy"].values()])


def test_verifier_agreement_against_the_authors_labels(audited: tuple[Path, dict, str]) -> None:
    agreement, verifier = audited[1]["verifier_agreement"], audited[2]
    assert agreement["ran"]["verifier"].startswith(f"{verifier}@")
    [pair] = agreement["pairs"]
    assert pair["compared"] == 4 * 1319 and pair["agreement"] > 0.9
    label = pair["against_label"]
    assert label["label"].startswith("gsm8k_authors_grader@") and label["verifier"].startswith(f"{verifier}@")
    assert 0 <= label["false_negative_rate"] <= 1 and 0 <= label["false_positive_rate"] <= 1


def test_rollouts_on_gsm8k_test_problems_are_flagged_against_gsm8k_only(audited: tuple[Path, dict, str]) -> None:
    contamination = audited[1]["contamination"]
    assert contamination["by_benchmark"] == {"openai/gsm8k:test": 1319, "mbpp": 0}
    assert len(contamination["flagged_ids"]) == 1319


def test_the_html_report_renders_in_headless_chromium(audited: tuple[Path, dict, str], tmp_path: Path) -> None:
    browser = shutil.which("chromium")
    if browser is None:
        pytest.skip("chromium is not installed (scripts/install-browser.sh installs Debian's package)")
    html = (audited[0] / "audit.html").read_text()
    assert "http://" not in html and "https://" not in html and html.count("<svg ") >= 3
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,2400", f"--screenshot={shot}",
                    (audited[0] / "audit.html").as_uri()], check=True, capture_output=True, timeout=120)
    from PIL import Image

    image = Image.open(shot).convert("L")
    low, high = image.getextrema()
    colours = len(image.getcolors(maxcolors=1 << 16) or [])
    assert high - low > 100 and colours > 20, "the screenshot is blank"
