"""The UI's ledger calls are type-checked against the ledger: a misspelt verb fails mypy, not a cashier."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MISSPELT = '''
from __future__ import annotations

from PySide6.QtCore import QObject

from desktop.ui.context import TillContext


def record(context: TillContext, parent: QObject) -> None:
    context.op(parent, lambda ledger: ledger.add_stmap(context.staff, "1001")).run()
'''


def test_a_misspelt_verb_in_an_operation_fails_the_type_check(tmp_path: Path) -> None:
    module = tmp_path / "misspelt_op.py"
    module.write_text(MISSPELT, encoding="utf-8")

    checked = subprocess.run(  # noqa: S603 - our interpreter, mypy, the project's settings
        [sys.executable, "-m", "mypy", "--config-file", str(REPO / "pyproject.toml"), str(module)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
        check=False,
    )

    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert '"Ledger" has no attribute "add_stmap"' in checked.stdout
