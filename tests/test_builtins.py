"""The composition root names its plugins without importing them: loading the plugins imports no
exporter module, and every name it gives resolves to a plugin of its kind."""

from __future__ import annotations

import json
import subprocess
import sys

from reasonledger.builtins import BUILTIN_EXPORTERS
from reasonledger.engine.outputs import OUTPUTS, NoOptions, Output, export


def test_loading_the_plugins_and_listing_them_imports_no_exporter() -> None:
    code = ("import json, sys\n"
            "from reasonledger.registry import REGISTRIES, load_plugins\n"
            "load_plugins()\n"
            "listed = {kind: REGISTRIES[kind].origins() for kind in REGISTRIES}\n"
            "print(json.dumps([listed['output'], sorted(m for m in sys.modules if '.exporters.' in m)]))\n")
    listed, imported = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                                 check=True).stdout)
    assert sorted(name for name, origin in listed.items() if origin == "reasonledger") == sorted(BUILTIN_EXPORTERS)
    assert imported == []


def test_every_builtin_exporter_resolves_to_an_output_with_an_options_model() -> None:
    for name in BUILTIN_EXPORTERS:
        output = OUTPUTS[name]
        assert isinstance(output, Output) and callable(output.exporter), name
        output.options.model_validate({})  # every output can be named without options


def test_an_output_is_written_through_its_lazy_name(tmp_path) -> None:
    from reasonledger.records.model import Kind, Record
    from reasonledger.records.parquet import write_parquet_shards

    record = Record(kind=Kind.prompt_answer, task={"prompt": "2+2?", "reference": "4", "source": {"dataset": "unit"},
                                                   "verifier": {"name": "exact"}},
                    behaviour={"response": "4"})
    write_parquet_shards([record], tmp_path / "data")
    assert OUTPUTS["dpo"].options is NoOptions
    written = export("verl", tmp_path / "data", tmp_path / "out")
    assert written.exists() and written.parent == tmp_path / "out"
