"""The policy as checks read it: `t.policy.ssh.max_auth_tries`, not a string path with a default at the call site.

`load_policy` validates every key and type and fills every default (fourlayer/data/policy.yaml), so a check never
needs a default of its own; a name the policy does not have is a programming error and fails loudly
(AttributeError / KeyError naming the full path and the closest key) instead of silently using a default.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, Iterator


class PolicyKeyError(AttributeError, KeyError):
    """A check asked the policy for a key it does not have (a typo, or a key missing from policy.yaml)."""

    def __str__(self) -> str:  # KeyError would show the message in quotes
        return str(self.args[0])


class PolicyView(Mapping):
    """A read-only view of a validated policy mapping: attribute access for section and key names, item access
    for open maps (ports, levels), nested mappings as views, lists and values as they are."""

    __slots__ = ("_data", "_path")

    def __init__(self, data: Mapping[Any, Any], path: str = "policy"):
        object.__setattr__(self, "_data", data)
        object.__setattr__(self, "_path", path)

    def _wrap(self, key: Any, value: Any) -> Any:
        return PolicyView(value, f"{self._path}.{key}") if isinstance(value, Mapping) else value

    def __getitem__(self, key: Any) -> Any:
        try:
            value = self._data[key]
        except KeyError:
            close = difflib.get_close_matches(str(key), [str(k) for k in self._data], n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise PolicyKeyError(f"{self._path} has no key {key!r}{hint}") from None
        return self._wrap(key, value)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("the policy is read-only")

    def __iter__(self) -> Iterator[Any]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        return f"PolicyView({self._path}: {len(self._data)} keys)"

    def plain(self) -> Mapping[Any, Any]:
        """The mapping underneath (for JSON and code that needs a dict)."""
        return self._data
