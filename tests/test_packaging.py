"""The wheel holds every package of the source tree: setuptools installs only the packages
pyproject.toml lists, and an editable install (what the tests run on) hides a missing one."""

from __future__ import annotations

from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_is_listed_for_the_wheel():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for init in (ROOT / "gradcli").rglob("__init__.py")
        if "__pycache__" not in init.parts
    }
    assert found - listed == set(), "add these to [tool.setuptools] packages in pyproject.toml"


def test_every_module_has_a_place_in_the_layers():
    """import-linter checks only the modules a layer names: one left out would be unchecked."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    layers = next(c for c in config["contracts"] if c["type"] == "layers")["layers"]
    named = {name.strip(" ()") for layer in layers for group in layer.split("|") for name in group.split(":")}
    modules = {
        f"gradcli.{path.stem if path.is_file() else path.name}"
        for path in (ROOT / "gradcli").iterdir()
        if (path.suffix == ".py" and path.stem not in ("__init__", "__main__"))
        or (path / "__init__.py").exists()
    }
    assert modules - named == set(), "add these modules to a layer in pyproject.toml [tool.importlinter]"


def test_the_json_schemas_ship_in_the_wheel():
    """gradcli/schemas/*.json is package data (a folder without __init__.py: setuptools ships it
    only as a listed package with its files in package-data)."""
    import fnmatch

    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "gradcli.schemas" in setuptools["packages"]
    patterns = setuptools["package-data"]["gradcli.schemas"]
    files = sorted(path.name for path in (ROOT / "gradcli" / "schemas").iterdir())
    assert files and all(name.endswith(".json") for name in files)
    assert all(any(fnmatch.fnmatch(name, pattern) for pattern in patterns) for name in files)


def test_the_json_schemas_are_found_as_resources():
    import importlib.resources

    folder = importlib.resources.files("gradcli") / "schemas"
    assert (folder / "eval.json").is_file()
    assert sorted(p.name for p in folder.iterdir() if p.name.endswith(".json")) == sorted(
        path.name for path in (ROOT / "gradcli" / "schemas").glob("*.json")
    )
