"""Print pyproject.toml's dependency ranges, one a line, for `make lock` to install and pin.

Usage: python scripts/pyproject_deps.py [EXTRA ...]   (no extras: the site's own dependencies)
"""

import sys
import tomllib
from pathlib import Path

project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())[
    "project"
]
extras = sys.argv[1:]
requirements = list(project["dependencies"]) if not extras else []
for extra in extras:
    requirements += project["optional-dependencies"][extra]
print("\n".join(requirements))
