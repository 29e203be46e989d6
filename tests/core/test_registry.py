"""The check model: complete metadata for every built-in, and discovery of third-party plugins by entry point."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fourlayer.core.model import LANGS, SCOPES
from fourlayer.core.registry import REGISTRY, RegistryError, make_meta
from fourlayer.core.discovery import discover

HERE = Path(__file__).parents[1]


def test_every_builtin_check_has_complete_metadata():
    checks = discover().all()
    assert len(checks) >= 12
    assert {c.meta.layer for c in checks} == {1, 2, 3, 4}
    for c in checks:
        m = c.meta
        for field in ("title", "rationale", "remediation"):
            for lang in LANGS:
                assert getattr(m, field)[lang].strip(), (m.id, field, lang)
        assert m.title["vi"] != m.title["en"], m.id
        assert m.references and all(r.strip() for r in m.references), m.id
        assert 1 <= m.min_level <= 5 and m.scope in SCOPES
        assert m.id.startswith(f"L{m.layer}-")


def test_incomplete_metadata_is_refused():
    base = dict(id="L1-TST-001", layer=1, severity="low", min_level=1, title={"en": "x", "vi": "y"},
                rationale={"en": "x", "vi": "y"}, remediation={"en": "x", "vi": "y"}, references=("r",))
    make_meta(**base)
    with pytest.raises(RegistryError, match="vi"):
        make_meta(**{**base, "title": {"en": "only english"}})
    with pytest.raises(RegistryError, match="layer"):
        make_meta(**{**base, "layer": 2})
    with pytest.raises(RegistryError, match="reference"):
        make_meta(**{**base, "references": ()})
    with pytest.raises(RegistryError, match="collectors"):
        make_meta(**{**base, "needs": ("telepathy",)})


def test_checks_list_json_and_show(run_cli):
    out = run_cli("checks", "list", "--format", "json")
    items = json.loads(out)
    assert {i["id"] for i in items} == {c.meta.id for c in REGISTRY.all()}
    shown = run_cli("checks", "show", "L1-SSH-010", "--lang", "vi")
    assert "PermitRootLogin no" in shown and "Căn cứ" in shown


def test_third_party_plugin_is_discovered_through_entry_point(tmp_path):
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
                    "--target", str(target), str(HERE / "plugin_example")], check=True)
    env_code = ("import json, sys; sys.path.insert(0, %r);"
                "from fourlayer.core.discovery import discover; r = discover();"
                "print(json.dumps([r.get('L1-XPL-001').meta.source, 'L1-SSH-010' in r, r.load_errors]))" % str(target))
    out = subprocess.run([sys.executable, "-c", env_code], capture_output=True, text=True, check=True).stdout
    source, builtin_present, errors = json.loads(out)
    assert source == "fourlayer_example_plugin"
    assert builtin_present and errors == []


def test_a_fresh_registry_is_given_every_check_and_stays_whole():
    """discover(registry) fills the registry it is given: all built-ins and rules, not only what was imported
    after it was made; a second call adds nothing and loses nothing."""
    from fourlayer.core.registry import Registry

    everything = {c.meta.id for c in discover().all()}
    assert len(everything) >= 80
    fresh = Registry()
    assert {c.meta.id for c in discover(fresh).all()} == everything
    assert {c.meta.id for c in discover(fresh).all()} == everything
    other = discover(Registry())
    assert len(other) == len(everything)


def test_no_module_imports_another_in_a_cycle():
    proc = subprocess.run([sys.executable, str(HERE.parent / "scripts" / "import_cycles.py")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert " 0 import cycle(s)" in proc.stdout


def test_loading_waivers_does_not_import_the_ssh_stack():
    """Configuration modules stay light: validating a waiver file must not pull in paramiko (or any collector)."""
    code = ("import sys, fourlayer.config.waivers, fourlayer.config.frameworks, fourlayer.rules.engine; "
            "print(sorted(m for m in sys.modules if m == 'paramiko' or m.startswith('fourlayer.collectors.ssh')))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"
