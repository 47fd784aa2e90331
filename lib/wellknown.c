/* SPDX-License-Identifier: ISC */
/*
 * UDP ports that other services listen on and that a pool must leave
 * alone, even on hosts whose /etc/services does not list them.  The KB
 * article's IPsec NAT-T (4500) is the reason this table exists.
 */
#include "internal.h"

const struct pp_well_known pp_well_known[] = {
	{ 53, 53, "DNS" },
	{ 67, 68, "DHCP" },
	{ 69, 69, "TFTP" },
	{ 88, 88, "Kerberos" },
	{ 111, 111, "rpcbind" },
	{ 123, 123, "NTP" },
	{ 137, 138, "NetBIOS" },
	{ 161, 162, "SNMP" },
	{ 389, 389, "CLDAP" },
	{ 443, 443, "QUIC (HTTP/3)" },
	{ 464, 464, "Kerberos kpasswd" },
	{ 500, 500, "IPsec IKE" },
	{ 514, 514, "syslog" },
	{ 520, 520, "RIP" },
	{ 546, 547, "DHCPv6" },
	{ 1194, 1194, "OpenVPN" },
	{ 1434, 1434, "SQL Server Browser" },
	{ 1645, 1646, "RADIUS (old ports)" },
	{ 1701, 1701, "L2TP" },
	{ 1812, 1813, "RADIUS" },
	{ 1900, 1900, "SSDP" },
	{ 2049, 2049, "NFS" },
	{ 2123, 2123, "GTP-C" },
	{ 2152, 2152, "GTP-U" },
	{ 3478, 3478, "STUN/TURN" },
	{ 3544, 3544, "Teredo" },
	{ 3702, 3702, "WS-Discovery" },
	{ 3784, 3785, "BFD" },
	{ 4500, 4500, "IPsec NAT-T" },
	{ 4789, 4789, "VXLAN" },
	{ 4791, 4791, "RoCEv2" },
	{ 5060, 5061, "SIP" },
	{ 5349, 5349, "STUN/TURN over DTLS" },
	{ 5353, 5353, "mDNS" },
	{ 5355, 5355, "LLMNR" },
	{ 5683, 5684, "CoAP" },
	{ 6081, 6081, "Geneve" },
	{ 8472, 8472, "VXLAN (Linux default)" },
	{ 9993, 9993, "ZeroTier" },
	{ 11211, 11211, "memcached" },
	{ 41641, 41641, "Tailscale" },
	{ 51820, 51820, "WireGuard" },
};

const size_t pp_well_known_count =
	sizeof(pp_well_known) / sizeof(pp_well_known[0]);
