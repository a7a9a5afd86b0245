"""`reasonledger publish RUN --out DIR [--push REPO]`: the quickstart laid out as a Hub dataset repository
that `datasets` loads config by config, whose README the Hub's own parser reads, whose Croissant
validates and iterates, and which is pushed only with a token."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml
from typer.testing import CliRunner

from reasonledger.cards.hub import front_matter
from reasonledger.cards.publish import jsonl_to_parquet
from reasonledger.cli import app
from reasonledger.records.io import iter_valid

datasets = pytest.importorskip("datasets", reason="loading the folder needs reasonledger[hf] (datasets)")
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("reasoning_gym", reason="the quickstart draws its tasks from reasonledger[gym]")
    from reasonledger.engine.build import build

    out = tmp_path_factory.mktemp("publish") / "quickstart"
    build(ROOT / "examples" / "quickstart.yaml", out, ["sources.0.size=60", "shard_rows=30"], workers=1,
          show_progress=False)
    return out


@pytest.fixture(scope="module")
def release(run: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("released") / "hub"
    result = _run("publish", run, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def _front_matter(folder: Path) -> dict:
    return yaml.safe_load((folder / "README.md").read_text().split("---\n")[1])


def test_the_folder_is_a_hub_dataset_repository(run: Path, release: Path) -> None:
    assert sorted(p.name for p in release.iterdir()) == [".reasonledger-run", "README.md", "card", "croissant.json",
                                                         "data", "exports"]
    assert sorted(p.name for p in (release / "card").iterdir()) == ["card.json", "card.md", "figures", "report.html"]
    readme = (release / "README.md").read_text()
    assert "is in `card/card.md`" in readme  # the README at the root points into card/
    for name in ("funnel", "verdicts", "kinds", "domains"):  # the card's figures, shown in the README
        assert (release / "card" / "figures" / f"{name}.svg").read_text().startswith("<svg")
        assert f"](card/figures/{name}.svg)" in readme
    meta = _front_matter(release)
    assert meta["task_categories"] == ["text-generation"] and meta["language"] == ["en"]
    assert meta["license"] == "apache-2.0"
    assert "| verification contract | programmatic |" in (release / "README.md").read_text()  # the card's figures
    # JSON Lines exports are published as Parquet (datasets reads a repository with one reader)
    assert not list((release / "exports").glob("*.jsonl"))
    openrlhf = [json.loads(line) for line in (run / "exports" / "openrlhf.jsonl").read_text().splitlines()]
    assert pq.read_table(release / "exports" / "openrlhf.parquet").to_pylist() == openrlhf


def test_load_dataset_loads_every_config(run: Path, release: Path) -> None:
    configs = _front_matter(release)["configs"]
    assert [c["config_name"] for c in configs] == ["default", "openrlhf", "trl_grpo", "verl"]
    records = [r.id for r in iter_valid(run / "data")]
    assert datasets.load_dataset(str(release), split="train")["id"] == records  # the default config
    for config in configs[1:]:
        loaded = datasets.load_dataset(str(release), config["config_name"])
        assert set(loaded) == {f["split"] for f in config["data_files"]}
        ids = [row.get("record_id") or row["extra_info"]["record_id"] for split in loaded.values() for row in split]
        assert sorted(ids) == sorted(records), config["config_name"]


def test_the_readme_parses_as_a_hub_dataset_card(release: Path) -> None:
    hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub comes with datasets")
    card = hub.DatasetCard.load(release / "README.md")
    assert card.data.license == "apache-2.0" and card.data.pretty_name == "quickstart-rlvr"
    assert [c["config_name"] for c in card.data.configs] == ["default", "openrlhf", "trl_grpo", "verl"]


def test_the_croissant_validates_and_iterates_every_record_through_one_record_set(run: Path, release: Path) -> None:
    mlc = pytest.importorskip("mlcroissant", reason="the cards extra (mlcroissant) is not installed")
    dataset = mlc.Dataset(str(release / "croissant.json"))
    assert not dataset.metadata.ctx.issues.errors
    doc = json.loads((release / "croissant.json").read_text())
    assert [rs["@id"] for rs in doc["recordSet"]] == ["default", "openrlhf", "trl_grpo", "verl"]
    ids = [row["default/id"].decode() for row in dataset.records("default")]
    assert ids == [r.id for r in iter_valid(run / "data")]
    rows = list(dataset.records("openrlhf"))
    assert len(rows) == len(ids) and rows[0]["openrlhf/input"][0]["openrlhf/input/role"] == b"user"


def test_mixed_licences_name_each_and_link_the_list(release: Path, tmp_path: Path) -> None:
    card = json.loads((release / "card" / "card.json").read_text())
    card["license"] = ["Apache-2.0", "CC-BY-4.0"]
    meta = front_matter(card)
    assert (meta["license"], meta["license_name"], meta["license_link"]) == (
        "other", "mixed-apache-2.0-cc-by-4.0", "LICENSES.md")


def test_publish_refuses_unsafe_outputs(run: Path, release: Path, tmp_path: Path) -> None:
    inside = _run("publish", run, "--out", run / "hub")
    assert inside.exit_code == 1 and "inside the input" in inside.output
    again = _run("publish", run, "--out", release)
    assert again.exit_code == 1 and "--force" in again.output
    not_a_run = _run("publish", tmp_path, "--out", tmp_path.parent / "x")
    assert not_a_run.exit_code == 1 and "not a reasonledger run directory" in not_a_run.output


def test_push_without_a_token_says_so_and_pushes_nothing(run: Path, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("huggingface_hub")
    monkeypatch.delenv("HF_TOKEN", raising=False)
    import huggingface_hub
    import huggingface_hub.constants

    monkeypatch.setattr(huggingface_hub.constants, "HF_TOKEN_PATH", str(tmp_path / "no-token"))  # no login either

    def refuse(*args, **kwargs):
        raise AssertionError("HfApi must not be used without a token")

    monkeypatch.setattr(huggingface_hub, "HfApi", refuse)
    result = _run("publish", run, "--out", tmp_path / "hub", "--push", "someone/quickstart")
    assert result.exit_code == 1 and "no Hugging Face token" in result.output and "HF_TOKEN" in result.output
    assert (tmp_path / "hub" / "README.md").is_file()  # the folder is ready to push later


def test_push_with_a_token_uploads_the_folder_as_a_dataset(run: Path, tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_TOKEN", "hf_test_token")
    calls = []

    class FakeApi:
        def __init__(self, token=None):
            calls.append(("token", token))

        def create_repo(self, repo_id, **kwargs):
            calls.append(("create_repo", repo_id, kwargs))

        def upload_folder(self, **kwargs):
            calls.append(("upload_folder", kwargs))
            return type("Commit", (), {"commit_url": f"https://huggingface.co/datasets/{kwargs['repo_id']}/commit/1"})()

    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "HfApi", FakeApi)
    out = tmp_path / "hub"
    result = _run("publish", run, "--out", out, "--push", "someone/quickstart", "--private")
    assert result.exit_code == 0, result.output
    assert calls[0] == ("token", "hf_test_token")
    assert calls[1] == ("create_repo", "someone/quickstart", {"repo_type": "dataset", "private": True, "exist_ok": True})
    upload = calls[2][1]
    assert upload["folder_path"] == str(out) and upload["repo_type"] == "dataset" and upload["repo_id"] == "someone/quickstart"
    assert ".reasonledger-run" in upload["ignore_patterns"]
    assert "pushed to someone/quickstart" in result.output


def test_jsonl_to_parquet_types_columns_from_every_row(tmp_path: Path) -> None:
    source = tmp_path / "sft.jsonl"
    rows = [{"messages": [{"role": "user", "content": "q"}], "rollout_set": None}] * 3 + \
        [{"messages": [{"role": "user", "content": "r"}], "rollout_set": "abc"}]
    source.write_text("".join(json.dumps(r) + "\n" for r in rows))
    target = tmp_path / "sft.parquet"
    import reasonledger.cards.publish as publish

    publish._BATCH = 2  # the null-then-text column spans batches
    try:
        assert jsonl_to_parquet(source, target) == 4
    finally:
        publish._BATCH = 10_000
    assert pq.read_table(target).to_pylist() == rows
    (tmp_path / "empty.jsonl").write_text("")
    assert jsonl_to_parquet(tmp_path / "empty.jsonl", tmp_path / "empty.parquet") == 0
    assert not (tmp_path / "empty.parquet").exists()


def test_configs_leave_out_what_has_no_rows(release: Path) -> None:
    from reasonledger.cards.configs import release_configs

    card = json.loads((release / "card" / "card.json").read_text())
    assert [c.name for c in release_configs(card)] == ["default", "openrlhf", "trl_grpo", "verl"]
    card["manifest"]["data"]["shards"] = []
    card["manifest"]["exports"] = [{**e, "rows": 0} if e["file"].startswith("exports/verl") else e
                                   for e in card["manifest"]["exports"]]
    assert [c.name for c in release_configs(card)] == ["openrlhf", "trl_grpo"]


def test_mixed_licences_are_listed_beside_the_readme_and_unknowns_are_named(run: Path, release: Path,
                                                                            tmp_path: Path) -> None:
    from reasonledger.cards.publish import lay_out

    card = json.loads((release / "card" / "card.json").read_text())
    sources = card["recipe"]["prompt_sources"]
    card["recipe"]["prompt_sources"] = [{**sources[0], "license": "CC-BY-4.0"}, *sources[1:]]
    card["license"], card["language"] = ["Apache-2.0", "CC-BY-4.0"], "unknown"
    folder = tmp_path / "mixed"
    folder.mkdir()
    todo = lay_out(run, card, folder)
    meta = _front_matter(folder)
    assert (meta["license"], meta["license_link"]) == ("other", "LICENSES.md") and "language" not in meta
    hub = pytest.importorskip("huggingface_hub", reason="huggingface_hub comes with datasets")
    parsed = hub.DatasetCard.load(folder / "README.md").data
    assert (parsed.license, parsed.license_name, parsed.license_link) == ("other", "mixed-apache-2.0-cc-by-4.0", "LICENSES.md")
    listed = (folder / "LICENSES.md").read_text()
    assert f"| {sources[0]['dataset']} | {sources[0]['revision']} | CC-BY-4.0 | {sources[0]['records']:,} |" in listed
    assert all(f"| {s['dataset']} |" in listed for s in sources)
    assert [t.split(":")[0] for t in todo] == ["language"]
