"""The base of the environments whose tools run in the code sandbox (swe_lite, shell_fs).

Each runs in a code verifier it is lent, or else in the process's shared one, and shows its tools as
written in its `schemas` (descriptions chosen for a policy) rather than from its methods' signatures.
"""

from __future__ import annotations

from typing import Any, ClassVar

from reasonledger.verifiers.code.verifier import CodeVerifier
from reasonledger.verifiers.environments.base import Environment
from reasonledger.verifiers.environments.swe import testrun


class SandboxedEnvironment(Environment):
    """Subclasses set `schemas` (OpenAI function format) and run their sandbox jobs in `_sandbox()`."""

    schemas: ClassVar[list[dict[str, Any]]]

    def __init__(self, verifier: CodeVerifier | None = None) -> None:
        self._verifier = verifier

    def tool_schemas(self) -> list[dict[str, Any]]:
        """The tools as written in `schemas` (the descriptions a policy is shown)."""
        return list(self.schemas)

    def _sandbox(self) -> CodeVerifier:
        return self._verifier if self._verifier is not None else testrun.shared_sandbox()
