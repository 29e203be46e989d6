# 2025-06-02 14:20:05 by RouterOS 6.49.10
# software id = FAKE-DEMO
#
# model = RB760iGS
# serial number = FAKEDEMO0001
# Demo branch router of the demo agency (fourlayer demo lab). Every secret below is fake.
# Weaknesses on purpose: telnet left on (default), SNMP `public` from anywhere, no login note, no NTP.
/interface bridge
add name=bridge-lan
/interface list
add name=WAN
add name=LAN
/interface bridge port
add bridge=bridge-lan interface=ether2
add bridge=bridge-lan interface=ether3
/interface list member
add interface=ether1 list=WAN
add interface=bridge-lan list=LAN
/ip address
add address=10.0.20.1/24 interface=bridge-lan network=10.0.20.0
/ip dhcp-client
add disabled=no interface=ether1
/ip firewall filter
add action=accept chain=input connection-state=established,related
add action=drop chain=input connection-state=invalid
add action=accept chain=input protocol=icmp
add action=drop chain=input in-interface-list=WAN log=yes log-prefix=WAN-IN
add action=accept chain=forward connection-state=established,related
add action=accept chain=forward in-interface-list=LAN log=yes out-interface-list=WAN
add action=drop chain=forward log=yes
/ip ipsec peer
add address=203.0.113.50/32 secret=FAKEdemoIpsecPsk2025
/ip service
set ftp disabled=yes
set www disabled=yes
set api disabled=yes
set api-ssl disabled=yes
set ssh address=10.0.20.0/24
set winbox address=10.0.20.0/24
/snmp
set enabled=yes
/system identity
set name=demo-rtr-branch
/system logging action
set 3 remote=127.0.0.1 remote-port=1514
/system logging
add action=remote topics=info
add action=remote topics=critical,error,warning
# Local accounts: an export never lists them; these lines come from the agency's provisioning script.
/user
add address=10.0.20.0/24 group=full name=netadmin
