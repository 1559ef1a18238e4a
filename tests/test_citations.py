"""The project cites sources, not files it does not carry; and it carries its licence."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_no_pointer_to_a_missing_reference_file():
    offenders = []
    paths = [*ROOT.glob("configs/**/*.yaml"), *ROOT.glob("archsim/**/*.py"), ROOT / "README.md"]
    for path in paths:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for name in re.findall(r"\b([A-Z][A-Za-z_]*\.md)\b", line):
                if not (ROOT / name).exists() and not (ROOT / "docs" / name).exists():
                    offenders.append(f"{path.relative_to(ROOT)}:{number}: {name}")
    assert not offenders, "cite the source itself, not a file the project lacks:\n" + "\n".join(
        offenders
    )


def test_licence_file_matches_pyproject():
    licence = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["license"]
    assert licence == "Apache-2.0"
    text = (ROOT / "LICENSE").read_text()
    assert "Apache License" in text and "Version 2.0, January 2004" in text
    assert "END OF TERMS AND CONDITIONS" in text
