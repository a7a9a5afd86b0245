"""card.md and the Hub README.md carry no raw HTML from data: source names, licences, card fields and
verifier names are escaped, so a CommonMark renderer (which passes raw HTML through) runs no script,
and the text still reads as what the data said."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from reasonledger.cards.markdown import md_code, md_text
from reasonledger.cards.release import write_release_card
from reasonledger.product import build
from reasonledger.records.model import Record

from .conftest import constructed_run

SCRIPT = "<script>alert('name')</script>"
IMG = '<img src=x onerror="alert(1)">'
LINK = "[click](javascript:alert(2))"
PAYLOADS = (SCRIPT, IMG, LINK)


class _Tags(HTMLParser):
    """Every tag and attribute a rendered page holds, and its text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _render(markdown: str) -> _Tags:
    from markdown_it import MarkdownIt

    parser = _Tags()
    parser.feed(MarkdownIt("commonmark").render(markdown))  # the CommonMark preset passes raw HTML through
    return parser


def _assert_inert(markdown: str) -> str:
    page = _render(markdown)
    names = {tag for tag, _ in page.tags}
    assert not names & {"script", "img", "iframe", "svg"}, names
    for tag, attrs in page.tags:
        assert not any(a.startswith("on") for a in attrs), (tag, attrs)
        assert "javascript:" not in (attrs.get("href") or "") + (attrs.get("src") or ""), (tag, attrs)
    return " ".join(page.text)


def test_the_renderer_in_this_test_would_run_an_unescaped_payload() -> None:
    page = _render(f"name: {SCRIPT} {IMG}")  # so the checks below can fail
    assert {"script", "img"} <= {tag for tag, _ in page.tags}


@pytest.mark.parametrize("payload", [*PAYLOADS, "`code` with ``` fences", "# not a heading", "1. not a list",
                                     "*not emphasis* and __init__", "a | b \\ c", "&lt;already an entity&gt;", "line\nbreak"])
def test_escaped_text_renders_as_exactly_the_text(payload: str) -> None:
    text = _assert_inert(md_text(payload))
    assert text.strip() == " ".join(payload.split("\n"))
    code = _render(md_code(payload))
    assert [tag for tag, _ in code.tags] == ["p", "code"]
    assert " ".join(code.text).strip() == " ".join(payload.split("\n"))


@pytest.fixture
def hostile_run(tmp_path: Path) -> Path:
    rows = tmp_path / "tasks.jsonl"
    rows.write_text("".join(json.dumps({"question": f"What is {i} + 1?", "answer": str(i + 1)}) + "\n" for i in range(3)))
    recipe = tmp_path / "recipe.yaml"
    recipe.write_text(json.dumps({
        "name": f"set {SCRIPT}",
        "sources": [{"type": "file", "path": "tasks.jsonl", "format": "jsonl", "options": {
            "prompt_field": "question", "answer_field": "answer", "verifier": "math", "dataset": f"evil/{SCRIPT}",
            "license": IMG, "revision": LINK, "domain": SCRIPT}}],
        "steps": [{"type": "gold_check"}],
        "card": {"motivation": SCRIPT, "biases": [IMG, LINK], "intended_uses": f"# {SCRIPT}",
                 "maintenance": {"owner": IMG}, "language": IMG}}))
    run = tmp_path / "run"
    build(recipe, run, show_progress=False)
    return run


def test_card_md_and_hub_readme_run_no_script_from_data(hostile_run: Path) -> None:
    card = json.loads((hostile_run / "card" / "card.json").read_text())
    assert card["recipe"]["prompt_sources"][0]["license"] == IMG  # the data really is hostile
    for name in ("card.md", "README.md"):
        markdown = (hostile_run / "card" / name).read_text()
        assert "<script" not in markdown and "<img" not in markdown, name
        text = _assert_inert(markdown)
        assert SCRIPT in text and IMG in text, name  # shown as text, not dropped


def test_hub_front_matter_keeps_the_values_and_no_tag(hostile_run: Path) -> None:
    readme = (hostile_run / "card" / "README.md").read_text()
    front = readme.split("---\n")[1]
    meta = yaml.safe_load(front)
    assert meta["pretty_name"] == f"set {SCRIPT}" and meta["license"] == IMG.lower() and meta["language"] == [IMG]
    assert "<" not in front and ">" not in front


def test_verifier_names_and_versions_from_data_are_escaped_too(tmp_path: Path) -> None:
    record = Record(kind="prompt_answer", task={
        "prompt": "2+2?", "reference": "4", "source": {"dataset": SCRIPT, "license": IMG},
        "verifier": {"name": f"`{IMG}`"}}, behaviour={"response": "4"},
        verdicts=[{"verifier": f"`{IMG}`", "version": SCRIPT, "score": 1.0, "passed": True, "label_source": "human"}])
    run, recipe = constructed_run(tmp_path / "run", [record], card={"citation": LINK})
    write_release_card(run, recipe)
    for name in ("card.md", "README.md"):
        text = _assert_inert((run / "card" / name).read_text())
        assert IMG in text and SCRIPT in text, name
