#!/usr/bin/env python3
"""Write the JSON Schema files generated from the file models (the models are the shape; never edit these files).

    .venv/bin/python scripts/gen_schemas.py            # rewrite every schema file
    .venv/bin/python scripts/gen_schemas.py --check    # exit 1 naming the stale files (a test runs this)

One entry per file kind: kind -> (function returning the schema, committed path relative to the repo).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def inventory() -> dict:
    from fourlayer.config.inventory_model import InventoryFile
    from fourlayer.config.typed import schema
    return schema(InventoryFile, "fourlayer inventory, version 1", "urn:fourlayer:inventory:1")


def framework() -> dict:
    from fourlayer.config.frameworks import framework_schema
    return framework_schema()


def policy() -> dict:
    from fourlayer.config.policy_model import policy_schema
    return policy_schema()


def waivers() -> dict:
    from fourlayer.config.waivers import waivers_schema
    return waivers_schema()


def zone_policy() -> dict:
    from fourlayer.config.zone_policy import zone_policy_schema
    return zone_policy_schema()


KINDS: dict[str, tuple[Callable[[], dict], str]] = {
    "inventory": (inventory, "inventory/schema.json"),
    "framework": (framework, "fourlayer/data/framework.schema.json"),
    "policy": (policy, "fourlayer/data/policy.schema.json"),
    "waivers": (waivers, "fourlayer/data/waivers.schema.json"),
    "zone_policy": (zone_policy, "fourlayer/data/zone_policy.schema.json"),
}


def text(schema: dict) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def stale() -> list[str]:
    """Paths of the committed schema files that differ from what the models generate."""
    return [path for make, path in KINDS.values()
            if not (ROOT / path).is_file() or (ROOT / path).read_text(encoding="utf-8") != text(make())]


def main(argv: list[str]) -> int:
    if "--check" in argv:
        bad = stale()
        for path in bad:
            print(f"{path}: differs from its model; run .venv/bin/python scripts/gen_schemas.py", file=sys.stderr)
        return 1 if bad else 0
    for make, path in KINDS.values():
        (ROOT / path).write_text(text(make()), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
