"""The only commands a scan may run on a Windows host (`roles: [windows]`): fixed, read-only, emitting JSON.

Windows Server 2019+ and Windows 10/11 ship OpenSSH server, whose default shell is cmd.exe: each command
below is sent as one SSH exec request and cmd.exe (or PowerShell, when it is the configured DefaultShell)
starts it. Each PowerShell pipeline only reads (`Get-*`), picks properties (`Select-Object`) and prints
(`ConvertTo-Json -Compress`); `net accounts` and `auditpol /get` only print. The text of every command is
fixed: no parameter comes from the inventory, so nothing a target or an inventory says can change it.

They avoid `$`, `%`, backquotes, `;` and inner double quotes, so the line means the same to cmd.exe, to
PowerShell and to a POSIX shell (the recorded-output lab, `fourlayer.lab.windows_recorded`, receives the same
bytes). `windows_problems` refuses anything else (defence in depth, like `allowlist.read_only_problems`).
"""

from __future__ import annotations

import functools
import re

POWERSHELL = 'powershell -NoProfile -NonInteractive -Command "{}"'
_JSON = " | ConvertTo-Json -Compress"
_SCHANNEL = r"HKLM:\SYSTEM\CurrentControlSet\Control\SecurityProviders\SCHANNEL\Protocols"
SCHANNEL_PROTOCOLS = ("SSL 3.0", "TLS 1.0", "TLS 1.1")  # server sides that must be disabled (RFC 7568, RFC 8996)


def _ps(pipeline: str) -> str:
    return POWERSHELL.format(pipeline)


def _read_keys(paths: list[str], values: str, optional: bool = True) -> str:
    """Get-ItemProperty of registry keys; with `optional`, a missing key is skipped silently (prints nothing)."""
    quoted = ",".join(f"'{p}'" for p in paths)
    skip = " -ErrorAction SilentlyContinue" if optional else ""
    return _ps(f"Get-ItemProperty -Path {quoted}{skip} | Select-Object {values}{_JSON}")


# name -> the command line sent to the host, exactly
WINDOWS_COMMANDS: dict[str, str] = {
    "win_os": _read_keys([r"HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion"],
                         "ProductName,DisplayVersion,CurrentBuild,UBR,InstallationType", optional=False),
    # the effective (ActiveStore: local + Group Policy) state of the Domain, Private and Public profiles
    "win_firewall": _ps("Get-NetFirewallProfile -PolicyStore ActiveStore | Select-Object Name,Enabled,"
                        "DefaultInboundAction,DefaultOutboundAction" + _JSON),
    "win_defender": _ps("Get-MpComputerStatus | Select-Object AMServiceEnabled,AntivirusEnabled,"
                        "RealTimeProtectionEnabled,AntivirusSignatureLastUpdated,AntivirusSignatureVersion" + _JSON),
    "win_users": _ps("Get-LocalUser | Select-Object Name,Enabled,SID,PasswordRequired,PasswordLastSet" + _JSON),
    # the built-in Administrators group by its well-known SID: its name is translated on localised Windows
    "win_admins": _ps("Get-LocalGroupMember -SID S-1-5-32-544 | Select-Object Name,ObjectClass,PrincipalSource"
                      + _JSON),
    "win_hotfixes": _ps("Get-HotFix | Select-Object HotFixID,Description,InstalledOn" + _JSON),
    "win_net_accounts": _ps("net accounts"),
    "win_auditpol": _ps("auditpol /get /category:* /r"),
    "win_smb": _ps("Get-SmbServerConfiguration | Select-Object EnableSMB1Protocol,EnableSMB2Protocol" + _JSON),
    "win_smb1_registry": _read_keys([r"HKLM:\SYSTEM\CurrentControlSet\Services\LanmanServer\Parameters"], "SMB1",
                                    optional=False),
    "win_rdp": _read_keys([r"HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server",
                           r"HKLM:\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp",
                           r"HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\Terminal Services"],
                          "PSPath,fDenyTSConnections,UserAuthentication,SecurityLayer"),
    "win_llmnr": _read_keys([r"HKLM:\SOFTWARE\Policies\Microsoft\Windows NT\DNSClient"], "PSPath,EnableMulticast"),
    "win_lsa": _read_keys([r"HKLM:\SYSTEM\CurrentControlSet\Control\Lsa"], "LmCompatibilityLevel", optional=False),
    "win_schannel": _read_keys([fr"{_SCHANNEL}\{p}\Server" for p in SCHANNEL_PROTOCOLS],
                               "PSPath,Enabled,DisabledByDefault"),
    # Windows Event Forwarding: the subscription managers Group Policy gives the host (values named 1, 2, ...)
    "win_event_forwarding": _read_keys(
        [r"HKLM:\SOFTWARE\Policies\Microsoft\Windows\EventLog\EventForwarding\SubscriptionManager"],
        "PSPath,'1','2','3'"),
    "win_winrm_policy": _read_keys([r"HKLM:\SOFTWARE\Policies\Microsoft\Windows\WinRM\Service"],
                                   "PSPath,AllowBasic,AllowUnencryptedTraffic"),
    # every service with its state: WinRM, the SOC's agent, the national monitoring agent, anti-malware
    "win_services": _ps("Get-Service | Select-Object Name,Status,StartType" + _JSON),
}

# The cmdlets and programs a pipeline stage may start, and what must follow the two plain programs.
READ_ONLY_CMDLETS = frozenset({
    "Get-ItemProperty", "Get-NetFirewallProfile", "Get-MpComputerStatus", "Get-LocalUser", "Get-LocalGroupMember",
    "Get-HotFix", "Get-SmbServerConfiguration", "Get-Service", "Select-Object", "ConvertTo-Json"})
READ_ONLY_PROGRAMS = {"net": "accounts", "auditpol": "/get"}
_PREFIX = 'powershell -NoProfile -NonInteractive -Command "'
_FORBIDDEN = re.compile(r"[$%`;&<>\"{}()\n\r]")


@functools.lru_cache(maxsize=64)
def windows_problems(command: str) -> tuple[str, ...]:
    """Why a Windows command line might not be read-only (empty = fine)."""
    if not (command.startswith(_PREFIX) and command.endswith('"')):
        return ("not a `powershell -NoProfile -NonInteractive -Command \"...\"` line",)
    script = command[len(_PREFIX):-1]
    problems = []
    if _FORBIDDEN.search(script):
        problems.append("variable, substitution, redirection, chaining or script block in the pipeline")
    for stage in script.split("|"):
        words = stage.split()
        if not words:
            problems.append("empty pipeline stage")
        elif words[0] in READ_ONLY_PROGRAMS:
            if words[1:2] != [READ_ONLY_PROGRAMS[words[0]]]:
                problems.append(f"{words[0]} may only run as `{words[0]} {READ_ONLY_PROGRAMS[words[0]]}`")
        elif words[0] not in READ_ONLY_CMDLETS:
            problems.append(f"{words[0]!r} is not in the read-only set")
    return tuple(problems)


def build_windows_commands() -> dict[str, str]:
    """Every allowlisted Windows command, name -> command line (checked read-only)."""
    for name, command in WINDOWS_COMMANDS.items():
        problems = windows_problems(command)
        if problems:  # cannot happen with the shipped table; guards future edits
            raise AssertionError(f"allowlisted Windows command {name} is not read-only: {problems}")
    return dict(WINDOWS_COMMANDS)
