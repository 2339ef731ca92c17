"""The documented CI workflow is valid YAML and gates on xfer regress's exit status."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_ci_workflow_yaml_parses_and_runs_the_gate():
    doc = DOCS / "ci_workflow.md"
    if not doc.is_file():
        pytest.skip(f"{doc} not present (docs are not shipped in the wheel)")
    blocks = re.findall(r"```yaml\n(.*?)```", doc.read_text(), flags=re.S)
    assert len(blocks) == 1
    workflow = yaml.safe_load(blocks[0])
    steps = workflow["jobs"]["regress"]["steps"]
    runs = "\n".join(step.get("run", "") for step in steps)
    assert "lm_eval" in runs and "--log_samples" in runs
    assert 'xfer regress --baseline "$BASELINE" ci-results --report "$GITHUB_STEP_SUMMARY"' in runs
    assert 'xfer regress --baseline "$BASELINE" --update ci-results' in runs
    assert "1) echo" in runs and "*) echo" in runs  # exit 1 and exit 2 are told apart
