# jan/02/1970 00:47:19 by RouterOS 6.41.4
# software id = FAKE-0002
#
# model = RB951Ui-2HnD
# serial number = FAKE00000002
/interface ethernet
set [ find default-name=ether1 ] name=ether1-gateway
/interface list
add name=WAN
add name=LAN
/interface list member
add interface=ether1-gateway list=WAN
add interface=ether2 list=LAN
/ip address
add address=192.168.88.1/24 interface=ether2 network=192.168.88.0
/ip dhcp-client
add disabled=no interface=ether1-gateway
/ip firewall filter
add action=accept chain=input
add action=accept chain=forward comment="allow all"
/ip service
set telnet address=""
/snmp community
set [ find default=yes ] addresses=0.0.0.0/0
add addresses=0.0.0.0/0 name=private write-access=yes
/snmp
set enabled=yes
/radius
add address=192.168.88.40 secret=FAKEradiusSecretWeak123 service=hotspot
/ip ipsec peer
add address=198.51.100.9/32 secret=FAKEipsecPskWeak456
/system identity
set name=branch-ap
# Local accounts: an export never lists them; these lines come from the agency's provisioning script.
/user
add group=full name=support password=FAKEsupportPass789
