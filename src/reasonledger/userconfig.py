"""The operator's own settings: one YAML file that belongs to the user running reasonledger, never to a
recipe or a dataset, because only it may raise resource limits, name secret variables or open paths.

Where: `$REASONLEDGER_CONFIG` if set (it must exist), else `$XDG_CONFIG_HOME/reasonledger/config.yaml`
(`~/.config/reasonledger/config.yaml`) when that file exists. Every key is optional::

    limits:                  # per verifier: the operator's values, also the maxima data may not exceed
      code: {memory_limit_mb: 2048, time_limit: 8, slots: 4}
      math: {timeout: 2.0}
      judgment: {allow: true, max_calls: 20000}   # data may name model judges (closed by default); see
                                                  # verifiers/judgment/consent.py (backends, models)
    api_key_env: [MY_ENDPOINT_KEY]   # variables a recipe's endpoint key may come from (besides the defaults)
    allow_outside_paths: false       # true: source files may lie outside the recipe's folder
    trust_remote_code: false         # true: a recipe's vLLM model may run its repository's own code
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from reasonledger import safe_yaml

ENV = "REASONLEDGER_CONFIG"
MAX_BYTES = 1 << 20  # a settings file, not a dataset


class UserConfigError(ValueError):
    """The user's config file is missing (when named), unreadable or has a bad key. Checked when a
    recipe loads and when a verifier pool starts, so it stops the command instead of failing each row."""


class UserConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    limits: dict[str, dict[str, Any]] = Field(default_factory=dict)
    api_key_env: list[str] = Field(default_factory=list)
    allow_outside_paths: bool = False
    trust_remote_code: bool = False


def config_path() -> Path | None:
    """The operator's config file, or None when there is none."""
    named = os.environ.get(ENV)
    if named:
        return Path(named).expanduser()
    # os.path, not pathlib: every verifier lookup asks, and a trainer's reward loop looks one up per call
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    default = os.path.join(base, "reasonledger", "config.yaml")
    return Path(default) if os.path.isfile(default) else None


_CACHE: dict[tuple[str, int, int], UserConfig] = {}


def load_user_config() -> UserConfig:
    """The operator's settings (defaults when there is no file); re-read when the file changes."""
    path = config_path()
    if path is None:
        return UserConfig()
    try:
        stat = path.stat()
    except OSError as exc:
        raise UserConfigError(f"{path} (from ${ENV}): cannot read the config file: {exc.strerror}") from None
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _CACHE:
        _CACHE.clear()
        _CACHE[key] = _parse(path, stat.st_size)
    return _CACHE[key]


def _parse(path: Path, size: int) -> UserConfig:
    if size > MAX_BYTES:
        raise UserConfigError(f"{path}: {size:,} bytes; a config file is at most {MAX_BYTES:,}")
    try:
        data = safe_yaml.safe_load(path.read_text(encoding="utf-8"))  # alias and depth limits
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise UserConfigError(f"{path}: not a readable YAML config file: {exc}") from None
    try:
        return UserConfig.model_validate(data or {})
    except ValidationError as exc:
        where = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'config'}: {e['msg']}" for e in exc.errors())
        raise UserConfigError(f"{path}: {where}") from None
