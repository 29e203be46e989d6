# 2025-03-14 09:12:44 by RouterOS 7.14.3
# software id = FAKE-0001
#
# model = RB4011iGS+
# serial number = FAKE00000001
# Test fixture: a hardened branch router; every secret below is fake.
/interface bridge
add admin-mac=FA:KE:00:00:00:01 auto-mac=no comment=defconf name=bridge
/interface ethernet
set [ find default-name=ether1 ] comment="ISP uplink" name=ether1-wan
/interface list
add comment=defconf name=WAN
add comment=defconf name=LAN
add name=MGMT
/interface bridge port
add bridge=bridge comment=defconf interface=ether2
add bridge=bridge comment=defconf interface=ether3
/interface list member
add comment=defconf interface=bridge list=LAN
add comment=defconf interface=ether1-wan list=WAN
/ip address
add address=10.20.0.1/24 comment=defconf interface=bridge network=10.20.0.0
add address=203.0.113.34/30 interface=ether1-wan network=203.0.113.32
/ip firewall address-list
add address=10.20.0.0/24 list=mgmt-hosts
/ip firewall filter
add action=accept chain=input comment="defconf: accept established,related,untracked" \
    connection-state=established,related,untracked
add action=drop chain=input comment="defconf: drop invalid" connection-state=invalid log=yes \
    log-prefix=INVALID
add action=accept chain=input comment="defconf: accept ICMP" log=yes log-prefix=ICMP protocol=icmp
add action=accept chain=input comment="mgmt from the NOC only" dst-port=22,8291 \
    in-interface-list=LAN log=yes protocol=tcp src-address-list=mgmt-hosts
add action=drop chain=input comment="defconf: drop all not coming from LAN" in-interface-list=!LAN log=yes \
    log-prefix=IN-DROP
add action=fasttrack-connection chain=forward comment="defconf: fasttrack" connection-state=established,related \
    hw-offload=yes
add action=accept chain=forward comment="defconf: accept established,related, untracked" \
    connection-state=established,related,untracked
add action=drop chain=forward comment="defconf: drop invalid" connection-state=invalid
add action=accept chain=forward comment="LAN to web" dst-port=80,443 in-interface-list=LAN log=yes \
    out-interface-list=WAN protocol=tcp
add action=drop chain=forward comment="defconf: drop all from WAN not DSTNATed" connection-nat-state=!dstnat \
    connection-state=new in-interface-list=WAN
add action=drop chain=forward comment="drop the rest" log=yes log-prefix=FWD-DROP
/ip service
set telnet disabled=yes
set ftp disabled=yes
set www disabled=yes
set ssh address=10.20.0.0/24
set www-ssl disabled=yes
set api disabled=yes
set winbox address=10.20.0.0/24
set api-ssl disabled=yes
/ip ssh
set strong-crypto=yes
/radius
add address=10.20.0.40 comment="NPS" service=login timeout=1s
/snmp community
set [ find default=yes ] addresses=10.20.0.20/32 authentication-protocol=SHA1 encryption-protocol=AES name=\
    FAKE-v3-nms security=private
/snmp
set contact=soc@example.gov.vn enabled=yes location="Branch 3" trap-version=3
/system identity
set name=rtr-branch-03
/system logging action
add name=soc remote=127.0.0.1 remote-port=1514 target=remote
/system logging
add action=soc topics=info
add action=soc topics=warning
add action=soc topics=error
add action=soc topics=critical
/system note
set note="CANH BAO: Chi nguoi duoc cap quyen moi duoc truy cap.\nWARNING: Authorised access only." \
    show-at-login=yes
/system ntp client
set enabled=yes
/system ntp client servers
add address=10.20.0.53
add address=time.example.gov.vn
/tool mac-server
set allowed-interface-list=none
/tool mac-server mac-winbox
set allowed-interface-list=MGMT
/user aaa
set use-radius=yes default-group=read
# Local accounts: an export never lists them; these lines come from the agency's provisioning script.
/user
add address=10.20.0.0/24 group=full name=netops
set [ find name=admin ] address=10.20.0.0/24 disabled=yes
