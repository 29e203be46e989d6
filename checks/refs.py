"""Reference strings shared by checks (the regulatory mapping proper lives in framework data files)."""

DIRECTIVE_14 = "Directive 14/CT-TTg (2019)"
DISPATCH_1552 = "Official Dispatch 1552/BTTTT-CATTT (2020), 4-layer model"
DECREE_85 = "Decree 85/2016/ND-CP"
DECREE_85_ASSESS = "Decree 85/2016/ND-CP Art. 20.2.c (periodic assessment)"
CIRCULAR_12 = "Circular 12/2022/TT-BTTTT Annexes I-V"
CIRCULAR_12_ZONES = ("Circular 12/2022/TT-BTTTT Annexes I-V: network zones (user, DMZ, server, database, "
                     "management) and access control between them; remote administration from the management zone")
CIS_CONTROLS_SEGMENT = "CIS Controls v8 12.2 (establish and maintain a secure network architecture: segmentation)"
CIRCULAR_31 = "Circular 31/2017/TT-BTTTT Art. 5 (monitoring)"
TCVN_NET = "TCVN 11930:2017 network security"
TCVN_SRV = "TCVN 11930:2017 server security"
TCVN_APP = "TCVN 11930:2017 application security"
TCVN_MGMT = "TCVN 11930:2017 management requirements"
CIS_SSH = "CIS Distribution Independent Linux Benchmark, 5.2 SSH Server Configuration"
NIST_52 = "NIST SP 800-52 Rev. 2 (TLS)"
RFC_8996 = "RFC 8996 (deprecating TLS 1.0 and 1.1)"
RFC_9142 = "RFC 9142 (SSH key exchange recommendations)"
SSHD_CONFIG_5 = "OpenSSH sshd_config(5) manual page (keyword semantics and defaults of the release)"
CIS_DEBIAN_SSH = "CIS Debian Linux 12 Benchmark, 5.1 Configure SSH Server"
CIS_RHEL_SSH = "CIS Red Hat Enterprise Linux 9 Benchmark, 5.1 Configure SSH Server"
STIG_RHEL_SSH = "DISA Red Hat Enterprise Linux 8 STIG, SSH daemon requirements"

# monitoring, inspection and national connection (layers 2-4)
DIRECTIVE_14_ASSESS = ("Directive 14/CT-TTg (7 June 2019): assessor independent of the monitoring provider; "
                       "levels 3-4 yearly, level 5 every 6 months")
DECREE_85_ART20 = "Decree 85/2016/ND-CP Art. 20 (inspection and assessment of information security)"
DIRECTIVE_14_2018 = "Directive 14/CT-TTg (25 May 2018) on improving anti-malware capacity"
LAW_116 = "Law on Cybersecurity 116/2025/QH15 (in force from 1 July 2026)"
CIS_TIME = "CIS Distribution Independent Linux Benchmark, 2.2.1 Time Synchronization"
CIS_AUDIT = "CIS Distribution Independent Linux Benchmark, 4.1 Configure System Accounting (auditd)"
CIS_LOGGING = "CIS Distribution Independent Linux Benchmark, 4.2 Configure Logging"
CIS_LOGROTATE = "CIS Distribution Independent Linux Benchmark, 4.3 Ensure logrotate is configured"

# host hygiene (layer 1): accounts, updates, firewall, anti-malware, services, file permissions
TCVN_SRV_AUTH = "TCVN 11930:2017 server security: authentication (password policy, lockout)"
TCVN_SRV_ACCESS = "TCVN 11930:2017 server security: access control"
TCVN_SRV_INTRUSION = "TCVN 11930:2017 server security: intrusion prevention (patches, firewall, unused services)"
TCVN_SRV_MALWARE = "TCVN 11930:2017 server security: malware prevention"
CIS_PASSWORDS = "CIS Debian/Ubuntu Linux Benchmark: PAM (pam_pwquality, pam_faillock) and login.defs password ageing"
CIS_USERS = "CIS Debian/Ubuntu Linux Benchmark: user and group settings (root is the only UID 0 account)"
CIS_UPDATES = "CIS Debian/Ubuntu Linux Benchmark: package management and updates"
CIS_FIREWALL = "CIS Debian/Ubuntu Linux Benchmark: host based firewall (ufw, nftables, iptables)"
CIS_SERVICES = "CIS Debian/Ubuntu Linux Benchmark: server services that are not in use"
CIS_FILE_PERMS = "CIS Debian/Ubuntu Linux Benchmark: system file permissions"
CIS_CONTROLS_PATCH = "CIS Controls v8 7.3 (automated operating system patch management)"
CIS_CONTROLS_MALWARE = "CIS Controls v8 10.1 (anti-malware software)"
CIS_CONTROLS_FIREWALL = "CIS Controls v8 4.4 (firewall on servers)"

# on the wire (layers 1 and 3): exposed services, SSH transport, TLS, HTTP, known-vulnerable versions
TCVN_NET_ACCESS = "TCVN 11930:2017 network security: access control (only needed services reachable)"
TCVN_APP_COMMS = "TCVN 11930:2017 application security: protecting transmitted data"
CIS_CONTROLS_PORTS = "CIS Controls v8 4.8 (uninstall or disable unnecessary services)"
CIS_CONTROLS_VULN = "CIS Controls v8 7 (continuous vulnerability management)"
RFC_4253 = "RFC 4253 (SSH transport layer protocol, version 2)"
MOZILLA_TLS = "Mozilla Server Side TLS guidelines (intermediate profile)"
RFC_7919 = "RFC 7919 (negotiated finite-field DHE parameters for TLS)"
LOGJAM = "Adrian et al., Imperfect Forward Secrecy: How Diffie-Hellman Fails in Practice (Logjam, CCS 2015)"
NIST_57 = "NIST SP 800-57 Part 1 Rev. 5 (key lengths)"
NIST_131A = "NIST SP 800-131A Rev. 2 (SHA-1 digital signatures disallowed)"
CAB_BR = "CA/Browser Forum Baseline Requirements (key sizes, signature algorithms)"
RFC_6125 = "RFC 6125 (server identity in certificates)"
RFC_6797 = "RFC 6797 (HTTP Strict Transport Security)"
OWASP_HEADERS = "OWASP Secure Headers Project"
OWASP_ASVS_14 = "OWASP ASVS 4.0 V14.4 (HTTP security headers)"
DEBIAN_SECURITY_TRACKER = "Debian Security Tracker (security-tracker.debian.org), imported offline"
OSV_SCHEMA = "Open Source Vulnerability (OSV) schema, distribution advisories (Debian, Ubuntu, AlmaLinux, Rocky)"
NVD = "NIST National Vulnerability Database and CVE records (offline table fourlayer/data/vulnerable_versions.yaml)"

# Windows hosts over OpenSSH (issue #14). CIS item numbers only where the section is stable across versions.
CIS_WIN = "CIS Microsoft Windows Server 2022 Benchmark"
CIS_WIN_PASSWORD = "CIS Microsoft Windows Server 2022 Benchmark 1.1 Password Policy"
CIS_WIN_LOCKOUT = "CIS Microsoft Windows Server 2022 Benchmark 1.2 Account Lockout Policy"
CIS_WIN_GUEST = "CIS Microsoft Windows Server 2022 Benchmark 2.3.1 Accounts: Guest account status (Disabled)"
CIS_WIN_NTLM = ("CIS Microsoft Windows Server 2022 Benchmark 2.3.11 Network security: LAN Manager authentication "
                "level (Send NTLMv2 response only. Refuse LM & NTLM)")
CIS_WIN_FIREWALL = "CIS Microsoft Windows Server 2022 Benchmark 9 Windows Defender Firewall (Domain, Private, Public)"
CIS_WIN_AUDIT = "CIS Microsoft Windows Server 2022 Benchmark 17 Advanced Audit Policy Configuration"
CIS_WIN_SMB1 = "CIS Microsoft Windows Server 2022 Benchmark 18 MS Security Guide: Configure SMB v1 server (Disabled)"
CIS_WIN_LLMNR = "CIS Microsoft Windows Server 2022 Benchmark 18 DNS Client: Turn off multicast name resolution"
CIS_WIN_RDP = ("CIS Microsoft Windows Server 2022 Benchmark 18 Remote Desktop Session Host: Require user "
               "authentication for remote connections by using Network Level Authentication")
CIS_WIN_WINRM = ("CIS Microsoft Windows Server 2022 Benchmark 18 WinRM Service: Allow Basic authentication and "
                 "Allow unencrypted traffic (Disabled)")
MS_FIREWALL = "https://learn.microsoft.com/powershell/module/netsecurity/get-netfirewallprofile"
MS_DEFENDER = "https://learn.microsoft.com/powershell/module/defender/get-mpcomputerstatus"
MS_SMB1 = ("https://learn.microsoft.com/windows-server/storage/file-server/troubleshoot/"
           "detect-enable-and-disable-smbv1-v2-v3")
MS_NTLM = ("https://learn.microsoft.com/windows/security/threat-protection/security-policy-settings/"
           "network-security-lan-manager-authentication-level")
MS_SCHANNEL = "https://learn.microsoft.com/windows-server/security/tls/tls-registry-settings"
MS_AUDITPOL = "https://learn.microsoft.com/windows-server/administration/windows-commands/auditpol-get"
MS_HOTFIX = "https://learn.microsoft.com/powershell/module/microsoft.powershell.management/get-hotfix"
MS_LOCALUSER = "https://learn.microsoft.com/powershell/module/microsoft.powershell.localaccounts/get-localuser"
MS_WEF = ("https://learn.microsoft.com/windows/security/operating-system-security/device-management/"
          "use-windows-event-forwarding-to-assist-in-intrusion-detection")
MS_WINRM = "https://learn.microsoft.com/windows/win32/winrm/installation-and-configuration-for-windows-remote-management"

# network devices (layers 1-3): benchmark items are cited by number and title as in CIS Cisco IOS 15 Benchmark v4.1
CIS_IOS = "CIS Cisco IOS 15 Benchmark v4.1"
CIS_IOS_VTY_SSH = CIS_IOS + ", 1.2.2 Set 'transport input ssh' for 'line vty' connections"
CIS_IOS_VTY_ACL = CIS_IOS + ", 1.2.4-1.2.5 Create an 'access-list' for 'line vty' and set 'access-class'"
CIS_IOS_AAA = CIS_IOS + ", 1.1.1-1.1.2 Enable 'aaa new-model' and 'aaa authentication login'"
CIS_IOS_BANNER = CIS_IOS + ", 1.3.2-1.3.3 Set the 'banner login' and 'banner motd' text"
CIS_IOS_PASSWORDS = (CIS_IOS + ", 1.4.1 'enable secret', 1.4.2 'service password-encryption', "
                     "1.4.3 'username secret' for all local users")
CIS_IOS_SNMP = CIS_IOS + ", 1.5.2-1.5.5 unset 'private'/'public', no RW community, an ACL for each community"
CIS_IOS_SSH2 = CIS_IOS + ", 2.1.1.2 Set 'ip ssh version 2'"
CIS_IOS_LOG_HOST = CIS_IOS + ", 2.2.4 Set IP address for 'logging host'"
CIS_IOS_NTP = CIS_IOS + ", 2.3.2 Set 'ip address' for 'ntp server'"
CIS_IOS_ACL = CIS_IOS + ", 3.3 Data plane: filter traffic with access lists (deny by default, log)"
FORTINET_HARDENING = "Fortinet, FortiOS 7.x Administration Guide: Hardening your FortiGate (docs.fortinet.com)"
MIKROTIK_SECURING = "MikroTik RouterOS manual: Securing your router (help.mikrotik.com)"
CIRCULAR_12_NET_ADMIN = ("Circular 12/2022/TT-BTTTT Annexes I-V, network security: remote administration encrypted and "
                         "restricted to the management zone")
CIRCULAR_12_NET_LOG = "Circular 12/2022/TT-BTTTT Annexes I-V, network security: device logs collected centrally"
CIRCULAR_12_NET_AUTH = ("Circular 12/2022/TT-BTTTT Annexes I-V, network security: administrator authentication and "
                        "password protection")
CIRCULAR_12_NET_FILTER = "Circular 12/2022/TT-BTTTT Annexes I-V, network security: firewall policies between zones"
VENDOR_ADVISORIES = ("Vendor security advisories (Cisco PSIRT, Fortinet PSIRT, MikroTik, Juniper SIRT), offline "
                     "table fourlayer/data/device_firmware_vulns.yaml")

# system hardening (layer 1): kernel parameters, core dumps
TCVN_SRV_HARDEN = "TCVN 11930:2017 server security: host hardening (secure operating system configuration)"
CIS_KERNEL = ("CIS Debian Linux 12 Benchmark, 1.5 Configure additional process hardening (ASLR, ptrace, kernel "
              "pointers, dmesg) and 3.3 Configure network kernel parameters")
CIS_CORE_DUMPS = "CIS Debian Linux 12 Benchmark, 1.5 Ensure core dumps are restricted"
LYNIS_KERNEL = "Lynis KRNL-6000 (sysctl key values compared with a hardening profile)"
LYNIS_CORE_DUMPS = "Lynis KRNL-5820 (core dump configuration)"
CIS_MOUNTS = ("CIS Debian Linux 12 Benchmark, 1.1.2 Configure filesystem partitions (/tmp, /dev/shm, /var/tmp: "
              "nodev, nosuid, noexec)")
LYNIS_MOUNTS = "Lynis FILE-6374 (mount options of /tmp, /dev/shm and /var/tmp)"
CIS_INTEGRITY = "CIS Debian Linux 12 Benchmark, 6.1 Configure integrity checking (AIDE installed, checked regularly)"
LYNIS_INTEGRITY = "Lynis FINT-4350 (file integrity tool installed), FINT-4402 (AIDE configuration)"
CIS_BANNERS = ("CIS Debian Linux 12 Benchmark, 1.7 Configure command line warning banners (/etc/issue, "
               "/etc/issue.net: present, no operating system information)")
LYNIS_BANNERS = "Lynis BANN-7126 (/etc/issue), BANN-7130 (/etc/issue.net)"
CIS_WORLD_WRITABLE = ("CIS Debian Linux 12 Benchmark, 7.1.11 Ensure world writable files and directories are secured "
                      "(sticky bit on world-writable directories)")
LYNIS_WORLD_WRITABLE = "Lynis FILE-7524 (file permissions), HRDN-7222 (world-writable system files)"
