"""Config discovery: a pyproject.toml that cannot be parsed is an error, never silently skipped."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from auditkit.cli import main
from auditkit.config import find_config_file, load_config
from auditkit.errors import ConfigError
from tests.conftest import git

BROKEN = """[tool.poetry
name = "svc"

[tool.auditkit.secrets]
allow_paths = ["fixtures/**"]
"""


def _repo(tmp_path: Path, pyproject: str) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(tmp_path, "init", "-q", str(repo))
    (repo / "pyproject.toml").write_text(pyproject)
    return repo


def test_invalid_pyproject_is_an_error_naming_the_file(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = _repo(tmp_path, BROKEN)
    (repo / "services" / "api").mkdir(parents=True)
    with pytest.raises(ConfigError, match="pyproject.toml: not valid TOML") as caught:
        find_config_file(repo / "services" / "api")  # found on the way up
    assert str(repo / "pyproject.toml") in str(caught.value)
    with pytest.raises(ConfigError, match="pyproject.toml"):
        load_config(repo)


def test_cli_exits_2_on_an_invalid_pyproject(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = _repo(tmp_path, BROKEN)
    result = CliRunner().invoke(main, ["secrets", str(repo)])
    assert result.exit_code == 2
    assert "pyproject.toml: not valid TOML" in result.stderr and "Traceback" not in result.output


def test_valid_pyproject_without_tool_auditkit_is_skipped(tmp_path: Path, git_env: dict[str, str]) -> None:
    repo = _repo(tmp_path, '[tool.poetry]\nname = "svc"\n')
    assert find_config_file(repo) is None
    (repo / "pyproject.toml").write_text('[tool.auditkit.secrets]\nallow_paths = ["fixtures/**"]\n')
    assert find_config_file(repo) == (repo / "pyproject.toml").resolve()


def test_scan_allow_unmeasured_is_validated(tmp_path: Path) -> None:
    (tmp_path / ".auditkit.toml").write_text("[scan]\nallow_unmeasured = true\n")
    assert load_config(tmp_path).scan.allow_unmeasured is True
    (tmp_path / ".auditkit.toml").write_text('[scan]\nallow_unmeasured = "yes"\n')
    with pytest.raises(ConfigError, match="allow_unmeasured"):
        load_config(tmp_path)
