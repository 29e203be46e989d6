"""Guards every device parser applies to configuration text before reading it, and the one error they raise.

A saved configuration comes from a file an operator names; it may be the wrong file (a binary backup, an
image), truncated, or hostile. The parsers read it in one linear pass, and refuse up front what cannot be a
configuration, with a message that names the problem but never echoes the text (it may hold secrets).
"""

from __future__ import annotations

import ipaddress

# a FortiGate with thousands of policies exports a few MB; 32 MiB leaves room and bounds the work
MAX_CHARS = 32 * 1024 * 1024
MAX_NOTES = 50  # past this the parser keeps one "… more" note: a garbage file must not yield a huge model


class ConfigTextError(ValueError):
    """The text is not a configuration this parser can read (binary, too large); the message never quotes it."""


def check_text(text: str, vendor_label: str) -> None:
    """Raise ConfigTextError for text that cannot be a saved configuration of `vendor_label`."""
    if not isinstance(text, str):
        raise ConfigTextError(f"{vendor_label} configuration must be text, not {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ConfigTextError(f"{vendor_label} configuration is {len(text)} characters, over the limit of "
                              f"{MAX_CHARS}: is this the saved configuration file?")
    if "\x00" in text:
        raise ConfigTextError(f"{vendor_label} configuration contains NUL bytes: it is a binary file (an "
                              "encrypted or binary backup?), not a text export")
    sample = text[:65536]
    control = sum(1 for c in sample if c < " " and c not in "\t\n\r\f\v") + sample.count("\ufffd")
    if sample and control * 20 > len(sample):
        raise ConfigTextError(f"{vendor_label} configuration is mostly control characters: it is a binary "
                              "file, not a text export")


class Notes:
    """What a parser could not interpret, by line number only (a line's text may hold a secret)."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self.dropped = 0

    def add(self, note: str) -> None:
        if len(self.items) < MAX_NOTES:
            self.items.append(note)
        else:
            self.dropped += 1

    def as_tuple(self) -> tuple[str, ...]:
        more = (f"… and {self.dropped} more lines not interpreted",) if self.dropped else ()
        return tuple(self.items) + more


def cidr(address: str, mask: str = "") -> str:
    """`192.0.2.1` + `255.255.255.0` -> `192.0.2.1/24`; anything unparsable is returned as written."""
    try:
        if mask:
            return str(ipaddress.ip_interface(f"{address}/{mask}"))
        return str(ipaddress.ip_interface(address))
    except ValueError:
        return f"{address}/{mask}" if mask else address


ANY_NETWORKS = frozenset({"0.0.0.0/0", "::/0", "0.0.0.0/0.0.0.0"})
