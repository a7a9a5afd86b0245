"""`reasonledger --help` stays light: making the app from the command registry and printing its help
imports no data library (pyarrow, numpy) and no exporter, so a mistyped command answers at once."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pyarrow", "numpy", "pandas", "torch")


def test_help_imports_no_data_library_and_no_exporter() -> None:
    code = ("import json, sys\n"
            "from typer.testing import CliRunner\n"
            "from reasonledger.cli import app\n"
            "result = CliRunner().invoke(app, ['--help'])\n"
            "assert result.exit_code == 0 and 'audit' in result.stdout, result.output\n"
            f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or '.exporters.' in m)))\n")
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []
