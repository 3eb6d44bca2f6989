"""The import contracts (pyproject.toml) name every module of scheduling they forbid,
so a new module is forbidden to webhooks and the platform layer from the start."""

import pkgutil
import tomllib
from pathlib import Path

import scheduling

PYPROJECT = Path(__file__).resolve().parent.parent / "pyproject.toml"
# What the platform layer and webhooks may import of scheduling.
ALLOWED = {"scheduling.core", "scheduling.models", "scheduling.choices"}


def _contract(contract_id: str) -> dict:
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    return next(c for c in contracts if c.get("id") == contract_id)


def _scheduling_modules() -> set[str]:
    return {f"scheduling.{m.name}" for m in pkgutil.iter_modules(scheduling.__path__)}


def test_the_platform_layer_contract_forbids_every_other_module_of_scheduling():
    forbidden = set(_contract("core-below-apps")["forbidden_modules"])
    assert _scheduling_modules() - ALLOWED - {"scheduling.core"} <= forbidden, (
        "Add the new module of scheduling to the forbidden_modules of the contract "
        "core-below-apps in pyproject.toml (or move it into scheduling.core)")


def test_the_webhooks_contract_forbids_every_other_module_of_scheduling():
    forbidden = set(_contract("webhooks-on-core")["forbidden_modules"])
    assert _scheduling_modules() - ALLOWED <= forbidden, (
        "Add the new module of scheduling to the forbidden_modules of the contract "
        "webhooks-on-core in pyproject.toml (or move it into scheduling.core)")


def test_both_contracts_forbid_the_same_modules_of_scheduling():
    core = {m for m in _contract("core-below-apps")["forbidden_modules"] if "." in m}
    hooks = {m for m in _contract("webhooks-on-core")["forbidden_modules"] if "." in m}
    assert core == hooks
