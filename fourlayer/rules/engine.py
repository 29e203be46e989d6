"""Declarative rules: checks written in YAML by a security officer, compiled into registered checks.

A rule file holds one rule, or `rules: [...]` with optional file-wide `defaults:`. A rule has the metadata of
`@check` (id, layer, severity, min_level, title/rationale/remediation in vi and en, references, applies_to),
a `source` and an `expect`:

    - id: L1-SSH-013
      layer: 1
      severity: medium
      min_level: 1
      applies_to: [linux]
      title: {en: "...", vi: "..."}
      rationale: {en: "...", vi: "..."}
      remediation: {en: "...", vi: "..."}
      references: ["TCVN 11930:2017 server security"]
      source: {command: sshd_T}              # an allowlisted read-only command (fourlayer.collectors.allowlist)
      expect: {key: maxauthtries, op: le, value: {policy: ssh.max_auth_tries}}
      reason:                                # optional: what the verdict means, in words an officer reads
        pass: {en: "...", vi: "..."}
        fail: {en: "SSH allows too many authentication attempts per connection", vi: "..."}

With `reason:` the result reads "SSH allows too many … (sshd -T: maxauthtries 10, required ≤ 4 (policy
ssh.max_auth_tries))": the rule's words, then the deciding settings or lines, never a pattern. Without it the
reason is the conditions' own wording (which shows a regex as `/pattern/`). Every built-in rule has one.

`source.command` names a command of the read-only allowlist; its output is read as `KEY VALUE` / `KEY=VALUE`
lines (`format: keyvalue`, the default) or as `sshd -T` output (`format: sshd`, the default for sshd_T)
or as shadow-utils reads login.defs (`format: login_defs`, the default for login_defs: upper-case keys only).
`expect` is one condition or a list (all must hold):
  - `{regex: PATTERN, must: match | not_match}` over the whole output (multi-line; `(?i)` for case-insensitive),
    run on RE2 (fourlayer.rules.regex: linear time, so no pattern can hang a scan; no backreferences/lookaround);
  - `{key: NAME, op: OP, value: V, missing: fail | pass | error}` with OP one of eq ne lt le gt ge in not_in
    bits_set; V may be `{policy: dotted.key}` (a value of the policy in force). Keys match case-insensitively.
`sshd_T` rules read the host's sshd settings from `fourlayer.resources.sshd`: `sshd -T`, else sshd_config and its
includes with the release defaults; the reason names that source and says "by default" for an absent keyword.
A rule that cannot read its source (command failed) is ERROR, never a pass. Every problem in a rule file is one
`InputError` naming file, line and field.
"""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from fourlayer.collectors.allowlist import TEMPLATES
from fourlayer.config.policy import default_policy
from fourlayer.config.policy_model import Section
from fourlayer.config.validation import DataValidator
from fourlayer.config.yaml_lines import (
    LineDict,
    LineList,
    expect_kind,
    field_path,
    got,
    item_path,
    load_yaml,
    show,
)
from fourlayer.core.errors import InputError
from fourlayer.core.model import (
    SEVERITIES,
    Check,
    Outcome,
    Unevaluable,
    bi,
    bi_join,
    failed,
    passed,
)
from fourlayer.core.registry import ID_PATTERN, Registry, RegistryError, make_meta
from fourlayer.core.target import Target
from fourlayer.resources.host_files import hash_framed
from fourlayer.resources.login_defs import parse_login_defs
from fourlayer.resources.sshd import SSHD_T, by_default, parse_sshd_T, sshd, sshd_T_run
from fourlayer.rules.regex import RuleRegex, RuleRegexError, compile_rule_regex

RULE_KEYS = ("id", "layer", "severity", "min_level", "applies_to", "title", "rationale", "remediation",
             "references", "source", "expect", "reason")
REASON_KEYS = ("pass", "fail")
SOURCE_LABELS = {"sshd_T": "sshd -T", "login_defs": "/etc/login.defs"}  # how a reason names the rule's source
DEFAULTABLE = ("layer", "severity", "min_level", "applies_to", "references", "source")
FILE_KEYS = ("version", "defaults", "rules")
SOURCE_KEYS = ("command", "format")
FORMATS = ("keyvalue", "sshd", "login_defs")
KEY_EXPECT_KEYS = ("key", "op", "value", "missing", "case_sensitive")
REGEX_EXPECT_KEYS = ("regex", "must")
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "not_in", "bits_set")
MAX_REGEX = 500
_SYMBOL = {"eq": "=", "ne": "≠", "lt": "<", "le": "≤", "gt": ">", "ge": "≥", "in": "in", "not_in": "not in",
           "bits_set": "to include bits"}
_SYMBOL_VI = {**_SYMBOL, "in": "giá trị thuộc", "not_in": "giá trị không thuộc", "bits_set": "bao gồm các bit"}
_EXCERPT_LINES = 8


def builtin_rules_dir() -> Path:
    """`checks/rules` (installed: `fourlayer/checks/rules`)."""
    spec = importlib.util.find_spec("fourlayer.checks")  # located without importing (importing registers checks)
    return Path(list(spec.submodule_search_locations)[0]) / "rules"


# ---- the compiled expectation --------------------------------------------------------------------------------

@dataclass(frozen=True)
class PolicyRef:
    path: str

    def resolve(self, policy: Mapping) -> Any:
        node: Any = policy
        for part in self.path.split("."):
            if not isinstance(node, (Mapping, Section)) or part not in node:
                raise Unevaluable(f"policy key {self.path} is not set")
            node = node[part]
        return node

    def __str__(self) -> str:
        return f"policy {self.path}"

    def vi(self) -> str:
        return f"chính sách {self.path}"


Reason = dict[str, str]  # {"en": ..., "vi": ...}
Describe = Callable[[str, str], Reason]  # (key, value) -> the setting in words, e.g. "… by default"


@dataclass(frozen=True)
class Condition:
    """One expectation: a regex over the output, or a comparison of one key's value."""

    regex: RuleRegex | None = None
    must_match: bool = True
    key: str = ""
    op: str = ""
    value: Any = None
    missing: str = "fail"
    case_sensitive: bool = False

    def judge(self, settings: dict[str, str], text: str, policy: dict,
              describe: Describe | None = None) -> tuple[bool, Reason, str, Reason]:
        """(holds, why in en and vi, evidence, what decided it in plain words: a setting or a line, no pattern).

        `describe(key, value)` words a setting with what the source knows about it ("… by default")."""
        if self.regex is not None:
            return self._judge_regex(text, describe)
        actual = settings.get(self.key.lower())  # keys always match case-insensitively; case_sensitive is for values
        expected = self.value.resolve(policy) if isinstance(self.value, PolicyRef) else self.value
        ref = self.value if isinstance(self.value, PolicyRef) else None
        wanted = f"{_SYMBOL[self.op]} {_show(expected)}" + (f" ({ref})" if ref else "")
        wanted_vi = f"{_SYMBOL_VI[self.op]} {_show(expected)}" + (f" ({ref.vi()})" if ref else "")
        if actual is None:
            if self.missing == "error":
                raise Unevaluable(f"{self.key} is not set in the source, so the rule cannot decide")
            why = bi(f"{self.key} is not set (required {wanted})",
                     f"{self.key} chưa được thiết lập (yêu cầu {wanted_vi})")
            return self.missing == "pass", why, f"{self.key}: not set", why
        holds = _compare(self.op, actual, expected, self.case_sensitive, self.key)
        said = describe(self.key, actual) if describe else bi(f"{self.key} {actual}", f"{self.key} {actual}")
        if holds:
            why = bi(f"{said['en']} (required {wanted})", f"{said['vi']} (yêu cầu {wanted_vi})")
        else:
            why = bi(f"{said['en']}, required {wanted}", f"{said['vi']}, không đáp ứng yêu cầu {wanted_vi}")
        return holds, why, f"{self.key} {actual}", said if holds else why

    def _judge_regex(self, text: str, describe: Describe | None = None) -> tuple[bool, Reason, str, Reason]:
        lines = list(dict.fromkeys(_line_at(text, m.start()) for m in self.regex.finditer(text)))[:_EXCERPT_LINES]
        shown = f"/{self.regex.pattern}/"
        words = [describe(*line.split(" ", 1)) if describe and " " in line else bi(line, line) for line in lines]
        seen = bi_join(words) if lines else bi("no such line", "không có dòng tương ứng")
        if self.must_match:
            if lines:
                return True, bi(f"matches {shown}", f"khớp mẫu {shown}"), "\n".join(lines), seen
            return (False, bi(f"no line matches {shown}", f"không có dòng nào khớp mẫu {shown}"),
                    f"no match for {shown}", seen)
        if lines:
            return (False, bi(f"forbidden pattern {shown} is present", f"phát hiện mẫu bị cấm {shown}"),
                    "\n".join(lines), seen)
        return True, bi(f"{shown} is absent", f"không xuất hiện mẫu {shown}"), f"no match for {shown}", seen


def _line_at(text: str, pos: int) -> str:
    """The whole line of `text` that contains position `pos`."""
    end = text.find("\n", pos)
    return text[text.rfind("\n", 0, pos) + 1:end if end >= 0 else len(text)].strip()


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(map(_show, value)) + "]"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def _number(text: Any, key: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        raise Unevaluable(f"{key} is {str(text)[:40]!r}, not a number") from None


def _same(actual: str, expected: Any, case_sensitive: bool) -> bool:
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        try:
            return float(actual) == float(expected)
        except ValueError:
            return False
    exp = _show(expected)
    return actual == exp if case_sensitive else actual.lower() == exp.lower()


def _compare(op: str, actual: str, expected: Any, case_sensitive: bool, key: str) -> bool:
    if op in ("eq", "ne"):
        return _same(actual, expected, case_sensitive) == (op == "eq")
    if op in ("in", "not_in"):
        found = any(_same(actual, e, case_sensitive) for e in expected)
        return found == (op == "in")
    if op == "bits_set":
        try:
            have, need = int(actual, 8), int(str(expected), 8)
        except ValueError:
            raise Unevaluable(f"{key} is {actual[:40]!r}, not an octal mask") from None
        return have & need == need
    a, e = _number(actual, key), _number(expected, f"the expected value of {key}")
    return {"lt": a < e, "le": a <= e, "gt": a > e, "ge": a >= e}[op]


def parse_keyvalue(text: str) -> dict[str, str]:
    """`KEY VALUE` / `KEY=VALUE` lines -> {lowercase key: value}; comments and `### file` headers skipped; last wins."""
    out: dict[str, str] = {}
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(?:=\s*|\s+)(.*?)\s*$", line)
        if m:
            out[m.group(1).lower()] = m.group(2).strip().strip('"')
    return out


DEFAULT_FORMATS = {"sshd_T": "sshd", "login_defs": "login_defs"}  # how a source command's output is read


# ---- the compiled rule -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleSpec:
    command: str
    format: str
    conditions: tuple[Condition, ...]
    # {"pass": {en, vi}, "fail": {en, vi}}: what the verdict means, in the rule author's words; the deciding
    # settings or lines follow in parentheses, never a pattern. Without it the reason is the conditions' own.
    reason: dict[str, Reason] | None = None

    def evaluate(self, t: Target) -> Outcome:
        if self.command == "sshd_T" and self.format == "sshd":
            return self._evaluate_sshd(t)
        cmd = t.ev("ssh_shell").commands.get(self.command)
        rc, out = (cmd.rc, cmd.out) if cmd else (None, "")
        if rc != 0:
            err = cmd.err.strip()[:200] if cmd else ""
            raise Unevaluable(f"command {self.command} failed on the target (rc={rc}){': ' + err if err else ''}")
        out = hash_framed(out, self.command)  # a multi-file command's files as `### <path>` and their text
        settings = parse_sshd_T(out) if self.format == "sshd" else \
            parse_login_defs(out) if self.format == "login_defs" else parse_keyvalue(out)
        verdicts = [c.judge(settings, out, t.policy) for c in self.conditions]
        return self._outcome(verdicts, SOURCE_LABELS.get(self.command, self.command))

    def _evaluate_sshd(self, t: Target) -> Outcome:
        """sshd settings from the best source (`sshd -T`, else the files; fourlayer.resources.sshd)."""
        config = sshd(t)
        keys = [c.key for c in self.conditions if c.regex is None]
        for key in keys:
            config.require(key)  # Unevaluable when the source cannot decide it
        if config.source != SSHD_T and any(c.regex is not None for c in self.conditions) and \
                config.files is not None and config.files.certain is not None:
            raise Unevaluable(f"the scan could not read every included file ({config.files.gaps[0]}), so the "
                              "effective settings are incomplete; allow `sshd -T` (ssh.sudo: true)")
        text = sshd_T_run(t).out if config.source == SSHD_T else config.text()
        settings = dict(config.settings)
        outcome = self._outcome([c.judge(settings, text, t.policy, config.describe) for c in self.conditions],
                                config.label)
        if config.sshd_T:  # judged from the files: say why sshd -T was not the source
            outcome = Outcome(outcome.status, outcome.reason, f"{outcome.evidence}\n{config.sshd_T}")
        return by_default(t, config, keys, outcome)

    def _outcome(self, verdicts: list[tuple[bool, Reason, str, Reason]], source: str) -> Outcome:
        """The rule's result from its conditions' verdicts; `source` names where the values came from."""
        evidence = "\n".join(dict.fromkeys(v[2] for v in verdicts))
        bad = [v for v in verdicts if not v[0]]
        holds, deciding = not bad, bad or verdicts
        if self.reason is None:
            why = bi_join([v[1] for v in deciding])
        else:
            unique = list({v[3]["en"]: v[3] for v in deciding}.values())  # two bounds on one key: said once
            said, detail = self.reason["pass" if holds else "fail"], bi_join(unique)
            why = bi(f"{said['en']} ({source}: {detail['en']})", f"{said['vi']} ({source}: {detail['vi']})")
        return (passed if holds else failed)(why, evidence)


# ---- loading and validation -----------------------------------------------------------------------------------

class _RuleValidator(DataValidator):
    def __init__(self, path: str):
        super().__init__(path)
        self.policy = default_policy()

    def source(self, m: LineDict, field: str) -> tuple[str, str]:
        value, line, where = self.get(m, "source", field, "{command: sshd_T}")
        src = self.mapping(value, line, where, "command: NAME")
        if "file" in src:
            self.fail(src.key_line("file"), field_path(where, "file"),
                      "file: sources are not supported; use command: with a read-only allowlisted command "
                      f"({', '.join(TEMPLATES)})")
        self.keys(src, where, SOURCE_KEYS)
        command, cline, cwhere = self.get(src, "command", where, "<an allowlisted command, e.g. sshd_T>")
        if command not in TEMPLATES:
            self.fail(cline, cwhere, f"expected an allowlisted read-only command ({', '.join(TEMPLATES)}), "
                                     f"got {got(command)}")
        fmt = self.choice(src, "format", where, FORMATS, DEFAULT_FORMATS.get(command, "keyvalue"))
        return command, fmt

    def value(self, raw: Any, line: int, where: str, op: str) -> Any:
        if isinstance(raw, LineDict):
            self.keys(raw, where, ("policy",))
            ref, rline, rwhere = self.get(raw, "policy", where, "<a policy key, e.g. ssh.max_auth_tries>")
            if not isinstance(ref, str):
                self.fail(rline, rwhere, f"expected a dotted policy key, got {got(ref)}")
            try:
                resolved = PolicyRef(ref).resolve(self.policy)
            except Unevaluable:
                self.fail(rline, rwhere, f"no policy key {show(ref)}; see fourlayer/data/policy.yaml")
            if isinstance(resolved, dict):
                self.fail(rline, rwhere, f"policy key {ref} is a section, not a value")
            self.value(resolved, rline, rwhere, op)
            return PolicyRef(ref)
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw or any(isinstance(v, (dict, list)) or v is None for v in raw):
                self.fail(line, where, f"op {op} needs a list of values, e.g. [\"027\", \"077\"], got {got(raw)}")
            return tuple(raw)
        if raw is None or isinstance(raw, (dict, list)):
            self.fail(line, where, f"expected a single value or {{policy: KEY}}, got {got(raw)}")
        if op in ("lt", "le", "gt", "ge") and (isinstance(raw, bool) or not isinstance(raw, (int, float))):
            self.fail(line, where, f"op {op} compares numbers; expected a number, got {got(raw)}")
        if op == "bits_set" and not (isinstance(raw, str) and re.fullmatch(r"0?[0-7]{3,4}", raw)):
            self.fail(line, where, f"op bits_set needs an octal mask in quotes, e.g. \"027\", got {got(raw)}")
        return raw

    def condition(self, raw: Any, line: int, where: str) -> Condition:
        c = self.mapping(raw, line, where, "{key:, op:, value:} or {regex:, must:}")
        if "regex" in c:
            self.keys(c, where, REGEX_EXPECT_KEYS)
            pattern = self.text(c, "regex", where, "<a regular expression>")
            if len(pattern) > MAX_REGEX:
                self.fail(c.value_line("regex"), field_path(where, "regex"), f"longer than {MAX_REGEX} characters")
            try:
                compiled = compile_rule_regex(pattern)
            except RuleRegexError as exc:
                self.fail(c.value_line("regex"), field_path(where, "regex"), str(exc))
            must = self.choice(c, "must", where, ("match", "not_match"), "match")
            return Condition(regex=compiled, must_match=must == "match")
        if "key" not in c:
            self.fail(c.line, where, "expected key: (compare a setting) or regex: (match the output)")
        self.keys(c, where, KEY_EXPECT_KEYS)
        key = self.text(c, "key", where, "<setting name, e.g. maxauthtries>")
        op = self.choice(c, "op", where, OPS, "")
        if not op:
            self.fail(c.value_line("op"), field_path(where, "op"), f"missing; add op: one of {', '.join(OPS)}")
        if "value" not in c:
            self.fail(c.line, field_path(where, "value"), "missing; add value: (or value: {policy: KEY})")
        value = self.value(c["value"], c.value_line("value"), field_path(where, "value"), op)
        missing = self.choice(c, "missing", where, ("fail", "pass", "error"), "fail")
        case = self.boolean(c, "case_sensitive", where) or False
        return Condition(key=key, op=op, value=value, missing=missing, case_sensitive=case)

    def expect(self, m: LineDict, field: str) -> tuple[Condition, ...]:
        raw, line, where = self.get(m, "expect", field, "{key: NAME, op: eq, value: VALUE}")
        if isinstance(raw, LineList):
            if not raw:
                self.fail(line, where, "the list is empty; add at least one condition")
            return tuple(self.condition(v, raw.item_line(i), item_path(where, i)) for i, v in enumerate(raw))
        return (self.condition(raw, line, where),)

    def reason(self, m: LineDict, field: str | None) -> dict[str, Reason] | None:
        """The optional `reason: {pass: {en, vi}, fail: {en, vi}}` of a rule."""
        value, line, where = self.get(m, "reason", field)
        if value is None:
            return None
        self.mapping(value, line, where, "{pass: {en: ..., vi: ...}, fail: {en: ..., vi: ...}}")
        self.keys(value, where, REASON_KEYS)
        return {kind: self.bilingual(value, kind, where) for kind in REASON_KEYS}

    def rule(self, raw: Any, line: int, field: str | None, defaults: LineDict, source: str) -> Check:
        m = self.mapping(raw, line, field, "a rule with id:, title:, source:, expect: ...")
        self.keys(m, field, RULE_KEYS)
        merged = LineDict({**defaults, **m}, line=m.line)
        merged.key_lines = {**defaults.key_lines, **m.key_lines}
        merged.value_lines = {**defaults.value_lines, **m.value_lines}
        rule_id = self.text(merged, "id", field, "L1-ABC-001")
        id_where = field_path(field, "id")
        if not ID_PATTERN.match(rule_id):
            self.fail(merged.value_line("id"), id_where, f"expected an id like L1-SSH-012 (L<layer>-<AREA>-<3 digits>)"
                                                         f", got {show(rule_id)}")
        layer = self.integer(merged, "layer", field, 1, 4, "expected a layer 1–4", "1")
        if not rule_id.startswith(f"L{layer}-"):
            self.fail(merged.value_line("layer"), field_path(field, "layer"),
                      f"layer {layer} does not match the id prefix of {rule_id}")
        severity = self.choice(merged, "severity", field, SEVERITIES, "")
        if not severity:
            self.fail(merged.line, field_path(field, "severity"), f"missing; add severity: one of {', '.join(SEVERITIES)}")
        min_level = self.integer(merged, "min_level", field, 1, 5, "expected a classification level 1–5", "1")
        command, fmt = self.source(merged, field)
        spec = RuleSpec(command, fmt, self.expect(merged, field), self.reason(merged, field))
        try:
            meta = make_meta(
                id=rule_id, layer=layer, severity=severity, min_level=min_level,
                title=self.bilingual(merged, "title", field), rationale=self.bilingual(merged, "rationale", field),
                remediation=self.bilingual(merged, "remediation", field),
                references=self.text_list(merged, "references", field, "[\"TCVN 11930:2017 ...\"]"),
                needs=("ssh_shell",), applies_to=self.ident_list(merged, "applies_to", field), source=source)
        except RegistryError as exc:
            self.fail(merged.value_line("id"), id_where, str(exc))
        return Check(meta, spec.evaluate)

    def file(self, data: Any, source: str) -> list[tuple[Check, int]]:
        if data is None:
            self.fail(1, None, "the file is empty; write one rule (id:, title:, source:, expect: ...) or rules: [...]")
        expect_kind(self.path, data, "rule", FILE_KEYS + RULE_KEYS)
        root = self.mapping(data, getattr(data, "line", 1), None, "a rule, or rules: [...]")
        if "rules" not in root:
            return [(self.rule(root, root.line, None, LineDict(), source), root.value_line("id"))]
        self.keys(root, None, FILE_KEYS)
        version, vline, _ = self.get(root, "version", None)
        if version is not None and (type(version) is not int or version != 1):
            self.fail(vline, "version", f"expected 1 (the rule format this fourlayer reads), got {show(version)}")
        defaults = root.get("defaults", LineDict())
        self.mapping(defaults, root.value_line("defaults"), "defaults", f"any of {', '.join(DEFAULTABLE)}")
        self.keys(defaults, "defaults", DEFAULTABLE)
        items = self.seq(root, "rules", None, "of rules")
        if not items:
            self.fail(root.value_line("rules"), "rules", "the list is empty; add at least one rule")
        return [(self.rule(v, items.item_line(i), item_path("rules", i), defaults, source),
                 v.value_line("id") if isinstance(v, LineDict) else items.item_line(i)) for i, v in enumerate(items)]


def load_rule_file(path: str | Path, source: str | None = None) -> list[tuple[Check, int]]:
    """The checks of one rule file with the line of each id. Raises InputError."""
    shown = str(path)
    label = source or f"rule:{Path(path).name}"
    return _RuleValidator(shown).file(load_yaml(path), label)


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Each path as given, or the *.yaml / *.yml files of a folder (sorted). Raises InputError."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found = sorted(f for f in p.iterdir() if f.suffix in (".yaml", ".yml") and f.is_file())
            if not found:
                raise InputError(str(p), None, None, "no rule files (*.yaml) in this folder")
            out.extend(found)
        elif not p.exists():
            raise InputError(str(p), None, None, "rule file or folder not found; check the path")
        else:
            out.append(p)
    return out


def load_rules(paths: Iterable[str | Path], taken: Registry | None = None, builtin: bool = False) -> list[Check]:
    """Compile every rule of `paths`; ids must be new (not in `taken`, not repeated). Raises InputError."""
    checks: list[Check] = []
    seen: dict[str, str] = {}
    for f in rule_files(paths):
        label = f"rule:{f.name}" if builtin else f"rule:{f}"
        for c, line in load_rule_file(f, label):
            where = f"{f}:{line}"
            if c.meta.id in seen:
                raise InputError(str(f), line, "id", f"check id {c.meta.id} is defined twice (first at {seen[c.meta.id]})"
                                 "; rename one")
            if taken is not None and c.meta.id in taken:
                raise InputError(str(f), line, "id", f"check id {c.meta.id} already exists "
                                                     f"({taken.get(c.meta.id).meta.source}); choose a new id")
            seen[c.meta.id] = where
            checks.append(c)
    return checks


def register_builtin_rules(registry: Registry) -> None:
    """Compile `checks/rules/*.yaml` into `registry` (called by discovery); a broken file is a load error."""
    folder = builtin_rules_dir()
    if not folder.is_dir():
        return
    try:
        for c in load_rules([folder], registry, builtin=True):
            registry.add(c)
    except InputError as exc:
        registry.load_errors.append(f"built-in rules: {exc.one_line()}")
