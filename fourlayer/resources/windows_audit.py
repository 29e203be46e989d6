"""Advanced audit policy subcategories by name and GUID, so that `auditpol /r` output is read by GUID.

Subcategory names are translated on a localised Windows; their GUIDs ({0CCE92xx-69AE-11D9-BED3-505054503030},
ntsecapi.h) are not. The policy names subcategories in English (`windows.audit_subcategories`); a name not in this
table is matched on the Subcategory column instead.
"""

from __future__ import annotations

from fourlayer.resources.windows import AuditSetting

_SUFFIX = "-69AE-11D9-BED3-505054503030"
_TABLE = {  # English name -> the 4 hex digits that tell the GUIDs apart (0CCE9xxx)
    "Security State Change": "9210", "Security System Extension": "9211", "System Integrity": "9212",
    "IPsec Driver": "9213", "Other System Events": "9214",
    "Logon": "9215", "Logoff": "9216", "Account Lockout": "9217", "IPsec Main Mode": "9218",
    "IPsec Quick Mode": "9219", "IPsec Extended Mode": "921A", "Special Logon": "921B",
    "Other Logon/Logoff Events": "921C", "Network Policy Server": "9243", "User / Device Claims": "9247",
    "Group Membership": "9249",
    "File System": "921D", "Registry": "921E", "Kernel Object": "921F", "SAM": "9220",
    "Certification Services": "9221", "Application Generated": "9222", "Handle Manipulation": "9223",
    "File Share": "9224", "Filtering Platform Packet Drop": "9225", "Filtering Platform Connection": "9226",
    "Other Object Access Events": "9227", "Detailed File Share": "9244", "Removable Storage": "9245",
    "Central Policy Staging": "9246",
    "Sensitive Privilege Use": "9228", "Non Sensitive Privilege Use": "9229", "Other Privilege Use Events": "922A",
    "Process Creation": "922B", "Process Termination": "922C", "DPAPI Activity": "922D", "RPC Events": "922E",
    "Plug and Play Events": "9248", "Token Right Adjusted Events": "924A",
    "Audit Policy Change": "922F", "Authentication Policy Change": "9230", "Authorization Policy Change": "9231",
    "MPSSVC Rule-Level Policy Change": "9232", "Filtering Platform Policy Change": "9233",
    "Other Policy Change Events": "9234",
    "User Account Management": "9235", "Computer Account Management": "9236", "Security Group Management": "9237",
    "Distribution Group Management": "9238", "Application Group Management": "9239",
    "Other Account Management Events": "923A",
    "Directory Service Access": "923B", "Directory Service Changes": "923C", "Directory Service Replication": "923D",
    "Detailed Directory Service Replication": "923E",
    "Credential Validation": "923F", "Kerberos Service Ticket Operations": "9240",
    "Other Account Logon Events": "9241", "Kerberos Authentication Service": "9242",
}
GUIDS = {name: f"0CCE{digits}{_SUFFIX}" for name, digits in _TABLE.items()}


def find(settings: list[AuditSetting], name: str) -> AuditSetting | None:
    """The setting of subcategory `name` (English), by GUID where known, else by name."""
    guid = GUIDS.get(name)
    for s in settings:
        if (guid and s.guid == guid) or s.subcategory.lower() == name.lower():
            return s
    return None


def covers(setting: str, required: str) -> bool:
    """Does an Inclusion Setting audit at least what is required (Success, Failure, Success and Failure)?"""
    have = {"No Auditing": set(), "Success": {"s"}, "Failure": {"f"}, "Success and Failure": {"s", "f"}}[setting]
    need = {"Success": {"s"}, "Failure": {"f"}, "Success and Failure": {"s", "f"}}[required]
    return need <= have
