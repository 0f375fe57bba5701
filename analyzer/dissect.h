/*
 * dissect.h — packrat's frame dissection library (packrat_dissect).
 *
 * One call, dissect_frame(), turns the bytes of one captured frame into a struct dissection that
 * the caller owns (stack or a reused buffer; nothing is allocated per packet). It holds:
 *
 *   (a) meta    — parsed facts that the flow, series and strings code need without reparsing:
 *                 link type, VLAN ids, IP version/protocol/addresses, ports, TCP flags/seq/ack/
 *                 window, where the L4 payload is, DNS/HTTP/TLS names. dissect_flow_key() builds
 *                 the shared bidirectional shm_flow_key from it.
 *   (b) layers + fields — the field tree the Analysis tab draws: each layer has a protocol id, an
 *                 offset and length in the frame, and a run of fields. A field is {id, layer,
 *                 offset, length, value}; id indexes a static table giving its Wireshark
 *                 display-filter name ("ip.ttl"), a human label and a value format. Values are
 *                 stored raw (a number, an IPv4 address, or a reference into the dissection's
 *                 pool, which holds strings and MAC/IPv6 address bytes) and turned into text
 *                 only when someone asks (dissect_field_text) — formatting is the expensive
 *                 part and most frames are never looked at field by field. A dissection is
 *                 self-contained: fields and pool can be copied anywhere (segment 2) and
 *                 formatted later without the frame bytes.
 *   (c) events  — named problems ({id, layer, offset}): "tcp.truncated" when the capture ran out,
 *                 "ipv4.bad_ihl" when a header lies, "dns.name_loop", "link.not_decoded"...
 *                 Truncated (snaplen ran out) is always a different event from invalid (the
 *                 header disagrees with its parent or itself). The failing layer stops; what was
 *                 decoded before stays.
 *
 * The summary (src, dst, protocol, info line like tcpdump -nn) is derived on demand by
 * dissect_summary()/dissect_info(); print.c and json.c render whole lines/objects. None of these
 * touch the frame bytes, only the dissection.
 *
 * Capacities are fixed (DISSECT_MAX_*, DISSECT_POOL_SIZE); when the field table or the pool
 * (strings, MAC and IPv6 addresses) runs out, further fields are counted in fields_dropped and
 * one "dissect.fields_dropped" event is recorded.
 *
 * Typical use (the analyzer, per frame of the ring):
 *
 *     static struct dissection d;                 // reused; ~8 KB, never cleared wholesale
 *     dissect_frame(&d, link_type, bytes, caplen, wirelen);
 *     struct shm_flow_key key; int dir;
 *     if (dissect_flow_key(&d, &key, &dir)) ...   // flows: d.m.tcp_flags, d.m.payload_* ...
 *     struct dissect_summary s; dissect_summary(&d, &s);   // Packets tab line
 *     // Analysis tab: copy d.layers[0..nlayers), d.fields[0..nfields), d.pool[0..pool_used)
 *     // and d.events; render later with dissect_field_text() on the copy.
 *
 * Names: every field id has a Wireshark display-filter name (dissect_field_info(id)->name), so
 * a viewer filter or JSON consumer can use the names it knows from Wireshark. A name never
 * means something else than there: the raw TCP numbers are tcp.seq_raw/tcp.ack_raw, as in
 * Wireshark (whose tcp.seq/tcp.ack are relative to the stream, which frame-by-frame dissection
 * does not know). DNS fields carry their section in dissect_field.flags.
 */
#ifndef PACKRAT_ANALYZER_DISSECT_H
#define PACKRAT_ANALYZER_DISSECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "shm/layout.h"

#define DISSECT_MAX_LAYERS 16
#define DISSECT_MAX_FIELDS 128
#define DISSECT_MAX_EVENTS 16
#define DISSECT_POOL_SIZE  4096
#define DISSECT_MAX_VLANS  4

/* Link types (DLT_* as pcap_datalink() and the frame segment report them). */
#define DISSECT_DLT_NULL       0
#define DISSECT_DLT_EN10MB     1
#define DISSECT_DLT_RAW        12 /* Linux/most; OpenBSD uses 14; the file LINKTYPE is 101 */
#define DISSECT_DLT_RAW_BSD    14
#define DISSECT_DLT_LOOP       108
#define DISSECT_DLT_LINUX_SLL  113
#define DISSECT_DLT_IPV4       228
#define DISSECT_DLT_IPV6       229
#define DISSECT_DLT_LINUX_SLL2 276
#define DISSECT_LINKTYPE_RAW   101

/* Protocol of a layer. Names: dissect_proto_name() ("TCP") and dissect_proto_abbrev() ("tcp"). */
#define DISSECT_PROTOS(X)                                                                          \
    X(NONE, "none", "-")                                                                           \
    X(ETH, "eth", "Ethernet")                                                                      \
    X(LLC, "llc", "LLC")                                                                           \
    X(VLAN, "vlan", "VLAN")                                                                        \
    X(SLL, "sll", "SLL")                                                                           \
    X(NULL, "null", "NULL")                                                                        \
    X(ARP, "arp", "ARP")                                                                           \
    X(IPV4, "ip", "IPv4")                                                                          \
    X(IPV6, "ipv6", "IPv6")                                                                        \
    X(IPV6_EXT, "ipv6.ext", "IPv6-ext")                                                            \
    X(AH, "ah", "AH")                                                                              \
    X(ESP, "esp", "ESP")                                                                           \
    X(ICMP, "icmp", "ICMP")                                                                        \
    X(ICMPV6, "icmpv6", "ICMPv6")                                                                  \
    X(TCP, "tcp", "TCP")                                                                           \
    X(UDP, "udp", "UDP")                                                                           \
    X(DNS, "dns", "DNS")                                                                           \
    X(MDNS, "mdns", "MDNS")                                                                        \
    X(DHCP, "dhcp", "DHCP")                                                                        \
    X(HTTP, "http", "HTTP")                                                                        \
    X(TLS, "tls", "TLS")

enum dissect_proto {
#define X(id, abbrev, name) DP_##id,
    DISSECT_PROTOS(X)
#undef X
        DP_COUNT
};

/*
 * Events. Naming: "<layer>.truncated" = the capture ended inside this header; "<layer>.short" =
 * the parent's declared length ends inside this header (the parent lies or this is not what the
 * port suggested); everything else names what was wrong. The third column is the event's
 * summary flag: SHM_PKT_TRUNCATED (capture ran out), SHM_PKT_MALFORMED (a header lies), or 0 for
 * notes that say nothing about the packet itself.
 */
#define DISSECT_EVENTS(X)                                                                          \
    X(LINK_NOT_DECODED, "link.not_decoded", 0)                                                     \
    X(TOO_MANY_LAYERS, "dissect.too_many_layers", SHM_PKT_MALFORMED)                               \
    X(FIELDS_DROPPED, "dissect.fields_dropped", 0)                                                 \
    X(ETH_TRUNCATED, "eth.truncated", SHM_PKT_TRUNCATED)                                           \
    X(ETH_BAD_LENGTH, "eth.bad_length", SHM_PKT_MALFORMED)                                         \
    X(LLC_TRUNCATED, "llc.truncated", SHM_PKT_TRUNCATED)                                           \
    X(VLAN_TRUNCATED, "vlan.truncated", SHM_PKT_TRUNCATED)                                         \
    X(VLAN_TOO_MANY, "vlan.too_many_tags", SHM_PKT_MALFORMED)                                      \
    X(SLL_TRUNCATED, "sll.truncated", SHM_PKT_TRUNCATED)                                           \
    X(NULL_TRUNCATED, "null.truncated", SHM_PKT_TRUNCATED)                                         \
    X(NULL_UNKNOWN_FAMILY, "null.unknown_family", SHM_PKT_MALFORMED)                               \
    X(ARP_TRUNCATED, "arp.truncated", SHM_PKT_TRUNCATED)                                           \
    X(ARP_BAD_SIZES, "arp.bad_sizes", SHM_PKT_MALFORMED)                                           \
    X(IPV4_TRUNCATED, "ipv4.truncated", SHM_PKT_TRUNCATED)                                         \
    X(IPV4_SHORT, "ipv4.short", SHM_PKT_MALFORMED)                                                 \
    X(IPV4_BAD_VERSION, "ipv4.bad_version", SHM_PKT_MALFORMED)                                     \
    X(IPV4_BAD_IHL, "ipv4.bad_ihl", SHM_PKT_MALFORMED)                                             \
    X(IPV4_BAD_TOTAL_LENGTH, "ipv4.bad_total_length", SHM_PKT_MALFORMED)                           \
    X(IPV4_LENGTH_EXCEEDS_FRAME, "ipv4.length_exceeds_frame", SHM_PKT_MALFORMED)                   \
    X(IPV4_BAD_CHECKSUM, "ipv4.bad_checksum", SHM_PKT_MALFORMED)                                   \
    X(IPV4_BAD_OPTION, "ipv4.bad_option", SHM_PKT_MALFORMED)                                       \
    X(IPV6_TRUNCATED, "ipv6.truncated", SHM_PKT_TRUNCATED)                                         \
    X(IPV6_SHORT, "ipv6.short", SHM_PKT_MALFORMED)                                                 \
    X(IPV6_BAD_VERSION, "ipv6.bad_version", SHM_PKT_MALFORMED)                                     \
    X(IPV6_LENGTH_EXCEEDS_FRAME, "ipv6.length_exceeds_frame", SHM_PKT_MALFORMED)                   \
    X(IPV6_EXT_TRUNCATED, "ipv6.ext.truncated", SHM_PKT_TRUNCATED)                                 \
    X(IPV6_EXT_BAD_LENGTH, "ipv6.ext.bad_length", SHM_PKT_MALFORMED)                               \
    X(IPV6_TOO_MANY_EXT, "ipv6.too_many_ext", SHM_PKT_MALFORMED)                                   \
    X(ESP_TRUNCATED, "esp.truncated", SHM_PKT_TRUNCATED)                                           \
    X(ESP_SHORT, "esp.short", SHM_PKT_MALFORMED)                                                   \
    X(ICMP_TRUNCATED, "icmp.truncated", SHM_PKT_TRUNCATED)                                         \
    X(ICMP_SHORT, "icmp.short", SHM_PKT_MALFORMED)                                                 \
    X(ICMP_BAD_CHECKSUM, "icmp.bad_checksum", SHM_PKT_MALFORMED)                                   \
    X(ICMPV6_TRUNCATED, "icmpv6.truncated", SHM_PKT_TRUNCATED)                                     \
    X(ICMPV6_SHORT, "icmpv6.short", SHM_PKT_MALFORMED)                                             \
    X(ICMPV6_BAD_OPTION, "icmpv6.bad_option", SHM_PKT_MALFORMED)                                   \
    X(ICMPV6_BAD_CHECKSUM, "icmpv6.bad_checksum", SHM_PKT_MALFORMED)                               \
    X(TCP_TRUNCATED, "tcp.truncated", SHM_PKT_TRUNCATED)                                           \
    X(TCP_SHORT, "tcp.short", SHM_PKT_MALFORMED)                                                   \
    X(TCP_BAD_OFFSET, "tcp.bad_offset", SHM_PKT_MALFORMED)                                         \
    X(TCP_BAD_OPTION, "tcp.bad_option", SHM_PKT_MALFORMED)                                         \
    X(TCP_BAD_CHECKSUM, "tcp.bad_checksum", SHM_PKT_MALFORMED)                                     \
    X(UDP_TRUNCATED, "udp.truncated", SHM_PKT_TRUNCATED)                                           \
    X(UDP_SHORT, "udp.short", SHM_PKT_MALFORMED)                                                   \
    X(UDP_BAD_LENGTH, "udp.bad_length", SHM_PKT_MALFORMED)                                         \
    X(UDP_BAD_CHECKSUM, "udp.bad_checksum", SHM_PKT_MALFORMED)                                     \
    X(DNS_TRUNCATED, "dns.truncated", SHM_PKT_TRUNCATED)                                           \
    X(DNS_SHORT, "dns.short", SHM_PKT_MALFORMED)                                                   \
    X(DNS_NAME_LOOP, "dns.name_loop", SHM_PKT_MALFORMED)                                           \
    X(DNS_NAME_TOO_LONG, "dns.name_too_long", SHM_PKT_MALFORMED)                                   \
    X(DNS_BAD_LABEL, "dns.bad_label", SHM_PKT_MALFORMED)                                           \
    X(DNS_BAD_POINTER, "dns.bad_pointer", SHM_PKT_MALFORMED)                                       \
    X(DNS_TOO_MANY_RECORDS, "dns.too_many_records", SHM_PKT_MALFORMED)                             \
    X(DNS_BAD_RDLENGTH, "dns.bad_rdlength", SHM_PKT_MALFORMED)                                     \
    X(DHCP_TRUNCATED, "dhcp.truncated", SHM_PKT_TRUNCATED)                                         \
    X(DHCP_SHORT, "dhcp.short", SHM_PKT_MALFORMED)                                                 \
    X(DHCP_BAD_MAGIC, "dhcp.bad_magic", SHM_PKT_MALFORMED)                                         \
    X(DHCP_BAD_OPTION, "dhcp.bad_option", SHM_PKT_MALFORMED)                                       \
    X(HTTP_TRUNCATED, "http.truncated", SHM_PKT_TRUNCATED)                                         \
    X(TLS_TRUNCATED, "tls.truncated", SHM_PKT_TRUNCATED)                                           \
    X(TLS_SHORT, "tls.short", SHM_PKT_MALFORMED)                                                   \
    X(TLS_BAD_LENGTH, "tls.bad_length", SHM_PKT_MALFORMED)                                         \
    X(TLS_BAD_EXTENSION, "tls.bad_extension", SHM_PKT_MALFORMED)

enum dissect_event {
    DE_NONE = 0,
#define X(id, name, flags) DE_##id,
    DISSECT_EVENTS(X)
#undef X
        DE_COUNT
};

/* How a field's value is stored and turned into text. */
enum dissect_fmt {
    DF_UINT,  /* the number, decimal */
    DF_HEX8,  /* the number, 0x%02x */
    DF_HEX16, /* the number, 0x%04x */
    DF_HEX24, /* the number, 0x%06x */
    DF_HEX32, /* the number, 0x%08x */
    DF_MAC,   /* 6 bytes in the pool */
    DF_IPV4,  /* 4 bytes in the value itself */
    DF_IPV6,  /* 16 bytes in the pool */
    DF_STR,   /* text in the pool (already escaped to printable ASCII) */
    DF_CSUM,  /* the number: checksum status as Wireshark numbers it: 0 Bad, 1 Good, 2 Unverified */
};

/*
 * Every field the dissectors produce: id, Wireshark display-filter name (own names only where
 * Wireshark has none), human label, format.
 */
#define DISSECT_FIELDS(X)                                                                          \
    X(ETH_DST, "eth.dst", "Destination", DF_MAC)                                                   \
    X(ETH_SRC, "eth.src", "Source", DF_MAC)                                                        \
    X(ETH_TYPE, "eth.type", "Type", DF_HEX16)                                                      \
    X(ETH_LEN, "eth.len", "Length", DF_UINT)                                                       \
    X(LLC_DSAP, "llc.dsap", "DSAP", DF_HEX8)                                                       \
    X(LLC_SSAP, "llc.ssap", "SSAP", DF_HEX8)                                                       \
    X(LLC_CONTROL, "llc.control", "Control field", DF_HEX8)                                        \
    X(LLC_OUI, "llc.oui", "Organization code", DF_HEX24)                                           \
    X(LLC_PID, "llc.pid", "Protocol ID", DF_HEX16)                                                 \
    X(VLAN_TPID, "vlan.tpid", "Tag protocol identifier", DF_HEX16)                                 \
    X(VLAN_PRIORITY, "vlan.priority", "Priority", DF_UINT)                                         \
    X(VLAN_DEI, "vlan.dei", "DEI", DF_UINT)                                                        \
    X(VLAN_ID, "vlan.id", "ID", DF_UINT)                                                           \
    X(VLAN_ETYPE, "vlan.etype", "Type", DF_HEX16)                                                  \
    X(SLL_PKTTYPE, "sll.pkttype", "Packet type", DF_UINT)                                          \
    X(SLL_HATYPE, "sll.hatype", "Link-layer address type", DF_UINT)                                \
    X(SLL_HALEN, "sll.halen", "Link-layer address length", DF_UINT)                                \
    X(SLL_SRC_ETH, "sll.src.eth", "Source", DF_MAC)                                                \
    X(SLL_ETYPE, "sll.etype", "Protocol", DF_HEX16)                                                \
    X(SLL_IFINDEX, "sll.ifindex", "Interface index", DF_UINT)                                      \
    X(NULL_FAMILY, "null.family", "Family", DF_UINT)                                               \
    X(ARP_HW_TYPE, "arp.hw.type", "Hardware type", DF_UINT)                                        \
    X(ARP_PROTO_TYPE, "arp.proto.type", "Protocol type", DF_HEX16)                                 \
    X(ARP_HW_SIZE, "arp.hw.size", "Hardware size", DF_UINT)                                        \
    X(ARP_PROTO_SIZE, "arp.proto.size", "Protocol size", DF_UINT)                                  \
    X(ARP_OPCODE, "arp.opcode", "Opcode", DF_UINT)                                                 \
    X(ARP_SRC_HW, "arp.src.hw_mac", "Sender MAC address", DF_MAC)                                  \
    X(ARP_SRC_IP, "arp.src.proto_ipv4", "Sender IP address", DF_IPV4)                              \
    X(ARP_DST_HW, "arp.dst.hw_mac", "Target MAC address", DF_MAC)                                  \
    X(ARP_DST_IP, "arp.dst.proto_ipv4", "Target IP address", DF_IPV4)                              \
    X(IP_VERSION, "ip.version", "Version", DF_UINT)                                                \
    X(IP_HDR_LEN, "ip.hdr_len", "Header length", DF_UINT)                                          \
    X(IP_DSFIELD, "ip.dsfield", "Differentiated services field", DF_HEX8)                          \
    X(IP_LEN, "ip.len", "Total length", DF_UINT)                                                   \
    X(IP_ID, "ip.id", "Identification", DF_HEX16)                                                  \
    X(IP_FLAGS, "ip.flags", "Flags", DF_HEX8)                                                      \
    X(IP_FLAGS_DF, "ip.flags.df", "Don't fragment", DF_UINT)                                       \
    X(IP_FLAGS_MF, "ip.flags.mf", "More fragments", DF_UINT)                                       \
    X(IP_FRAG_OFFSET, "ip.frag_offset", "Fragment offset", DF_UINT)                                \
    X(IP_TTL, "ip.ttl", "Time to live", DF_UINT)                                                   \
    X(IP_PROTO, "ip.proto", "Protocol", DF_UINT)                                                   \
    X(IP_CHECKSUM, "ip.checksum", "Header checksum", DF_HEX16)                                     \
    X(IP_CHECKSUM_STATUS, "ip.checksum.status", "Header checksum status", DF_CSUM)                 \
    X(IP_SRC, "ip.src", "Source address", DF_IPV4)                                                 \
    X(IP_DST, "ip.dst", "Destination address", DF_IPV4)                                            \
    X(IP_OPT_TYPE, "ip.opt.type", "Option type", DF_UINT)                                          \
    X(IP_OPT_LEN, "ip.opt.len", "Option length", DF_UINT)                                          \
    X(IPV6_VERSION, "ipv6.version", "Version", DF_UINT)                                            \
    X(IPV6_TCLASS, "ipv6.tclass", "Traffic class", DF_HEX8)                                        \
    X(IPV6_FLOW, "ipv6.flow", "Flow label", DF_HEX24)                                              \
    X(IPV6_PLEN, "ipv6.plen", "Payload length", DF_UINT)                                           \
    X(IPV6_NXT, "ipv6.nxt", "Next header", DF_UINT)                                                \
    X(IPV6_HLIM, "ipv6.hlim", "Hop limit", DF_UINT)                                                \
    X(IPV6_SRC, "ipv6.src", "Source address", DF_IPV6)                                             \
    X(IPV6_DST, "ipv6.dst", "Destination address", DF_IPV6)                                        \
    X(IPV6_HOPOPTS_NXT, "ipv6.hopopts.nxt", "Next header", DF_UINT)                                \
    X(IPV6_HOPOPTS_LEN, "ipv6.hopopts.len", "Length", DF_UINT)                                     \
    X(IPV6_DSTOPTS_NXT, "ipv6.dstopts.nxt", "Next header", DF_UINT)                                \
    X(IPV6_DSTOPTS_LEN, "ipv6.dstopts.len", "Length", DF_UINT)                                     \
    X(IPV6_ROUTING_NXT, "ipv6.routing.nxt", "Next header", DF_UINT)                                \
    X(IPV6_ROUTING_LEN, "ipv6.routing.len", "Length", DF_UINT)                                     \
    X(IPV6_ROUTING_TYPE, "ipv6.routing.type", "Type", DF_UINT)                                     \
    X(IPV6_ROUTING_SEGLEFT, "ipv6.routing.segleft", "Segments left", DF_UINT)                      \
    X(IPV6_FRAG_NXT, "ipv6.fragment.nxt", "Next header", DF_UINT)                                  \
    X(IPV6_FRAG_OFFSET, "ipv6.fragment.offset", "Offset", DF_UINT)                                 \
    X(IPV6_FRAG_MORE, "ipv6.fragment.more", "More fragments", DF_UINT)                             \
    X(IPV6_FRAG_ID, "ipv6.fragment.id", "Identification", DF_HEX32)                                \
    X(AH_NXT, "ah.next_header", "Next header", DF_UINT)                                            \
    X(AH_LEN, "ah.length", "Length", DF_UINT)                                                      \
    X(AH_SPI, "ah.spi", "SPI", DF_HEX32)                                                           \
    X(AH_SEQ, "ah.sequence", "Sequence", DF_UINT)                                                  \
    X(ESP_SPI, "esp.spi", "SPI", DF_HEX32)                                                         \
    X(ESP_SEQ, "esp.sequence", "Sequence", DF_UINT)                                                \
    X(ICMP_TYPE, "icmp.type", "Type", DF_UINT)                                                     \
    X(ICMP_CODE, "icmp.code", "Code", DF_UINT)                                                     \
    X(ICMP_CHECKSUM, "icmp.checksum", "Checksum", DF_HEX16)                                        \
    X(ICMP_IDENT, "icmp.ident", "Identifier", DF_UINT)                                             \
    X(ICMP_SEQ, "icmp.seq", "Sequence number", DF_UINT)                                            \
    X(ICMP_GATEWAY, "icmp.redir_gw", "Gateway address", DF_IPV4)                                   \
    X(ICMP_MTU, "icmp.mtu", "MTU of next hop", DF_UINT)                                            \
    X(ICMPV6_TYPE, "icmpv6.type", "Type", DF_UINT)                                                 \
    X(ICMPV6_CODE, "icmpv6.code", "Code", DF_UINT)                                                 \
    X(ICMPV6_CHECKSUM, "icmpv6.checksum", "Checksum", DF_HEX16)                                    \
    X(ICMPV6_ECHO_ID, "icmpv6.echo.identifier", "Identifier", DF_UINT)                             \
    X(ICMPV6_ECHO_SEQ, "icmpv6.echo.sequence_number", "Sequence", DF_UINT)                         \
    X(ICMPV6_MTU, "icmpv6.mtu", "MTU", DF_UINT)                                                    \
    X(ICMPV6_MLD_MAX_DELAY, "icmpv6.mld.maximum_response_delay", "Maximum response delay",         \
      DF_UINT)                                                                                     \
    X(ICMPV6_MLD_ADDR, "icmpv6.mld.multicast_address", "Multicast address", DF_IPV6)               \
    X(ICMPV6_MLDR_RECORDS, "icmpv6.mldr.nb_mcast_records", "Number of records", DF_UINT)           \
    X(ICMPV6_ND_NS_TARGET, "icmpv6.nd.ns.target_address", "Target address", DF_IPV6)               \
    X(ICMPV6_ND_NA_FLAGS, "icmpv6.nd.na.flag", "Flags", DF_HEX32)                                  \
    X(ICMPV6_ND_NA_TARGET, "icmpv6.nd.na.target_address", "Target address", DF_IPV6)               \
    X(ICMPV6_ND_RA_HOPLIMIT, "icmpv6.nd.ra.cur_hop_limit", "Cur hop limit", DF_UINT)               \
    X(ICMPV6_ND_RA_LIFETIME, "icmpv6.nd.ra.router_lifetime", "Router lifetime", DF_UINT)           \
    X(ICMPV6_OPT_TYPE, "icmpv6.opt.type", "Option type", DF_UINT)                                  \
    X(ICMPV6_OPT_LEN, "icmpv6.opt.length", "Option length", DF_UINT)                               \
    X(ICMPV6_OPT_LINKADDR, "icmpv6.opt.linkaddr", "Link-layer address", DF_MAC)                    \
    X(ICMPV6_OPT_PREFIX, "icmpv6.opt.prefix", "Prefix", DF_IPV6)                                   \
    X(ICMPV6_OPT_PREFIX_LEN, "icmpv6.opt.prefix.length", "Prefix length", DF_UINT)                 \
    X(TCP_SRCPORT, "tcp.srcport", "Source port", DF_UINT)                                          \
    X(TCP_DSTPORT, "tcp.dstport", "Destination port", DF_UINT)                                     \
    X(TCP_SEQ, "tcp.seq_raw", "Sequence number (raw)", DF_UINT)                                    \
    X(TCP_ACK, "tcp.ack_raw", "Acknowledgment number (raw)", DF_UINT)                              \
    X(TCP_HDR_LEN, "tcp.hdr_len", "Header length", DF_UINT)                                        \
    X(TCP_FLAGS, "tcp.flags", "Flags", DF_HEX16)                                                   \
    X(TCP_WINDOW, "tcp.window_size_value", "Window", DF_UINT)                                      \
    X(TCP_CHECKSUM, "tcp.checksum", "Checksum", DF_HEX16)                                          \
    X(TCP_CHECKSUM_STATUS, "tcp.checksum.status", "Checksum status", DF_CSUM)                      \
    X(TCP_URGENT, "tcp.urgent_pointer", "Urgent pointer", DF_UINT)                                 \
    X(TCP_OPTION_KIND, "tcp.option_kind", "Option kind", DF_UINT)                                  \
    X(TCP_OPT_MSS, "tcp.options.mss_val", "MSS", DF_UINT)                                          \
    X(TCP_OPT_WSCALE, "tcp.options.wscale.shift", "Window scale shift", DF_UINT)                   \
    X(TCP_OPT_SACK_PERM, "tcp.options.sack_perm", "SACK permitted", DF_UINT)                       \
    X(TCP_OPT_SACK_LE, "tcp.options.sack_le", "SACK left edge", DF_UINT)                           \
    X(TCP_OPT_SACK_RE, "tcp.options.sack_re", "SACK right edge", DF_UINT)                          \
    X(TCP_OPT_TSVAL, "tcp.options.timestamp.tsval", "Timestamp value", DF_UINT)                    \
    X(TCP_OPT_TSECR, "tcp.options.timestamp.tsecr", "Timestamp echo reply", DF_UINT)               \
    X(TCP_LEN, "tcp.len", "Segment length", DF_UINT)                                               \
    X(UDP_SRCPORT, "udp.srcport", "Source port", DF_UINT)                                          \
    X(UDP_DSTPORT, "udp.dstport", "Destination port", DF_UINT)                                     \
    X(UDP_LENGTH, "udp.length", "Length", DF_UINT)                                                 \
    X(UDP_CHECKSUM, "udp.checksum", "Checksum", DF_HEX16)                                          \
    X(UDP_CHECKSUM_STATUS, "udp.checksum.status", "Checksum status", DF_CSUM)                      \
    X(DNS_LENGTH, "dns.length", "Length", DF_UINT)                                                 \
    X(DNS_ID, "dns.id", "Transaction ID", DF_HEX16)                                                \
    X(DNS_FLAGS, "dns.flags", "Flags", DF_HEX16)                                                   \
    X(DNS_FLAGS_RESPONSE, "dns.flags.response", "Response", DF_UINT)                               \
    X(DNS_FLAGS_OPCODE, "dns.flags.opcode", "Opcode", DF_UINT)                                     \
    X(DNS_FLAGS_RCODE, "dns.flags.rcode", "Reply code", DF_UINT)                                   \
    X(DNS_COUNT_QUERIES, "dns.count.queries", "Questions", DF_UINT)                                \
    X(DNS_COUNT_ANSWERS, "dns.count.answers", "Answer RRs", DF_UINT)                               \
    X(DNS_COUNT_AUTH, "dns.count.auth_rr", "Authority RRs", DF_UINT)                               \
    X(DNS_COUNT_ADD, "dns.count.add_rr", "Additional RRs", DF_UINT)                                \
    X(DNS_QRY_NAME, "dns.qry.name", "Name", DF_STR)                                                \
    X(DNS_QRY_TYPE, "dns.qry.type", "Type", DF_UINT)                                               \
    X(DNS_QRY_CLASS, "dns.qry.class", "Class", DF_HEX16)                                           \
    X(DNS_RESP_NAME, "dns.resp.name", "Name", DF_STR)                                              \
    X(DNS_RESP_TYPE, "dns.resp.type", "Type", DF_UINT)                                             \
    X(DNS_RESP_CLASS, "dns.resp.class", "Class", DF_HEX16)                                         \
    X(DNS_RESP_TTL, "dns.resp.ttl", "Time to live", DF_UINT)                                       \
    X(DNS_RESP_LEN, "dns.resp.len", "Data length", DF_UINT)                                        \
    X(DNS_A, "dns.a", "Address", DF_IPV4)                                                          \
    X(DNS_AAAA, "dns.aaaa", "AAAA Address", DF_IPV6)                                               \
    X(DNS_CNAME, "dns.cname", "CNAME", DF_STR)                                                     \
    X(DNS_PTR, "dns.ptr.domain_name", "Domain name", DF_STR)                                       \
    X(DNS_NS, "dns.ns", "Name server", DF_STR)                                                     \
    X(DNS_MX_PREF, "dns.mx.preference", "Preference", DF_UINT)                                     \
    X(DNS_MX, "dns.mx.mail_exchange", "Mail exchange", DF_STR)                                     \
    X(DNS_TXT, "dns.txt", "TXT", DF_STR)                                                           \
    X(DHCP_OP, "dhcp.type", "Message type", DF_UINT)                                               \
    X(DHCP_HW_TYPE, "dhcp.hw.type", "Hardware type", DF_UINT)                                      \
    X(DHCP_HW_LEN, "dhcp.hw.len", "Hardware address length", DF_UINT)                              \
    X(DHCP_HOPS, "dhcp.hops", "Hops", DF_UINT)                                                     \
    X(DHCP_ID, "dhcp.id", "Transaction ID", DF_HEX32)                                              \
    X(DHCP_SECS, "dhcp.secs", "Seconds elapsed", DF_UINT)                                          \
    X(DHCP_FLAGS, "dhcp.flags", "Flags", DF_HEX16)                                                 \
    X(DHCP_CIADDR, "dhcp.ip.client", "Client IP address", DF_IPV4)                                 \
    X(DHCP_YIADDR, "dhcp.ip.your", "Your IP address", DF_IPV4)                                     \
    X(DHCP_SIADDR, "dhcp.ip.server", "Next server IP address", DF_IPV4)                            \
    X(DHCP_GIADDR, "dhcp.ip.relay", "Relay agent IP address", DF_IPV4)                             \
    X(DHCP_CHADDR, "dhcp.hw.mac_addr", "Client MAC address", DF_MAC)                               \
    X(DHCP_OPTION, "dhcp.option.type", "Option", DF_UINT)                                          \
    X(DHCP_MSG_TYPE, "dhcp.option.dhcp", "DHCP message type", DF_UINT)                             \
    X(DHCP_REQ_IP, "dhcp.option.requested_ip_address", "Requested IP address", DF_IPV4)            \
    X(DHCP_SERVER_ID, "dhcp.option.dhcp_server_id", "Server identifier", DF_IPV4)                  \
    X(DHCP_HOSTNAME, "dhcp.option.hostname", "Host name", DF_STR)                                  \
    X(HTTP_METHOD, "http.request.method", "Request method", DF_STR)                                \
    X(HTTP_URI, "http.request.uri", "Request URI", DF_STR)                                         \
    X(HTTP_REQ_VERSION, "http.request.version", "Request version", DF_STR)                         \
    X(HTTP_RESP_VERSION, "http.response.version", "Response version", DF_STR)                      \
    X(HTTP_RESP_CODE, "http.response.code", "Status code", DF_UINT)                                \
    X(HTTP_RESP_PHRASE, "http.response.phrase", "Response phrase", DF_STR)                         \
    X(HTTP_HOST, "http.host", "Host", DF_STR)                                                      \
    X(HTTP_USER_AGENT, "http.user_agent", "User-Agent", DF_STR)                                    \
    X(TLS_RECORD_TYPE, "tls.record.content_type", "Content type", DF_UINT)                         \
    X(TLS_RECORD_VERSION, "tls.record.version", "Version", DF_HEX16)                               \
    X(TLS_RECORD_LENGTH, "tls.record.length", "Length", DF_UINT)                                   \
    X(TLS_HS_TYPE, "tls.handshake.type", "Handshake type", DF_UINT)                                \
    X(TLS_HS_LENGTH, "tls.handshake.length", "Length", DF_UINT)                                    \
    X(TLS_HS_VERSION, "tls.handshake.version", "Version", DF_HEX16)                                \
    X(TLS_HS_EXT_TYPE, "tls.handshake.extension.type", "Extension type", DF_UINT)                  \
    X(TLS_SNI, "tls.handshake.extensions_server_name", "Server name", DF_STR)                      \
    X(TLS_ALPN, "tls.handshake.extensions_alpn_str", "ALPN protocol", DF_STR)

enum dissect_field_id {
#define X(id, name, label, fmt) FLD_##id,
    DISSECT_FIELDS(X)
#undef X
        FLD_COUNT
};

struct dissect_field_info {
    const char *name;  /* Wireshark display-filter name */
    const char *label; /* human label */
    enum dissect_fmt fmt;
};

/* A reference into the dissection's string pool; len 0 means absent. */
struct dissect_str {
    uint16_t off;
    uint16_t len;
};

/* dissect_field.flags for DNS fields: which message section they came from. */
#define DNS_SECTION_NONE       0
#define DNS_SECTION_QUESTION   1
#define DNS_SECTION_ANSWER     2
#define DNS_SECTION_AUTHORITY  3
#define DNS_SECTION_ADDITIONAL 4

/*
 * A field is 16 bytes because the analyzer copies every field of every frame into segment 2's
 * detail ring, and memory write bandwidth is what that costs: a 16-byte value, which only the
 * few MAC and IPv6 fields need, made every field 32. So the value is 32 bits, and what it means
 * depends on the field's format (read it with the accessors below, never directly):
 *
 *   DF_UINT, DF_HEX*, DF_CSUM   the number (no field is wider than 32 bits)
 *   DF_IPV4                     the 4 address bytes in frame order
 *   DF_STR                      a struct dissect_str, packed
 *   DF_MAC, DF_IPV6             the pool offset of the 6 or 16 address bytes
 */
struct dissect_field {
    uint16_t id;     /* enum dissect_field_id */
    uint8_t layer;   /* index into dissection.layers */
    uint8_t flags;   /* DNS_SECTION_* for DNS fields, else 0 */
    uint32_t offset; /* byte offset in the frame */
    uint32_t length; /* bytes in the frame this value came from */
    uint32_t v;      /* by format, as above */
};
_Static_assert(sizeof(struct dissect_field) == 16, "a field is 16 bytes in the detail ring");
_Static_assert(sizeof(struct dissect_str) == sizeof(uint32_t), "a pool string fits a field value");

/* Bytes an address format takes: 4, 6 or 16; 0 for the others. */
static inline size_t dissect_fmt_addr_len(enum dissect_fmt fmt)
{
    return fmt == DF_IPV4 ? 4 : fmt == DF_MAC ? 6 : fmt == DF_IPV6 ? 16 : 0;
}

/* The number of a DF_UINT, DF_HEX* or DF_CSUM field. */
static inline uint32_t dissect_field_u(const struct dissect_field *f)
{
    return f->v;
}

/* The pool string of a DF_STR field. */
static inline struct dissect_str dissect_field_str(const struct dissect_field *f)
{
    struct dissect_str s;
    memcpy(&s, &f->v, sizeof s);
    return s;
}

struct dissect_layer {
    uint8_t proto; /* enum dissect_proto */
    uint8_t pad;
    uint16_t first_field; /* fields[first_field .. first_field + nfields) */
    uint16_t nfields;
    uint16_t pad2;
    uint32_t offset; /* byte offset in the frame */
    uint32_t length; /* header (+ payload for application layers) bytes */
};

struct dissect_event_rec {
    uint16_t id;   /* enum dissect_event */
    uint8_t layer; /* index of the layer it belongs to (or nlayers if before any) */
    uint8_t pad;
    uint32_t offset; /* byte offset in the frame where the problem was found */
};

/* TCP flag bits as in the header (FIN 0x01 .. CWR 0x80), plus NS/AE in 0x100. */
#define DISSECT_TCP_FIN 0x01
#define DISSECT_TCP_SYN 0x02
#define DISSECT_TCP_RST 0x04
#define DISSECT_TCP_PSH 0x08
#define DISSECT_TCP_ACK 0x10
#define DISSECT_TCP_URG 0x20
#define DISSECT_TCP_ECE 0x40
#define DISSECT_TCP_CWR 0x80

/*
 * Parsed metadata of the outermost packet (an ICMP error's quoted inner header adds layers and
 * fields but never overwrites these). Zero/absent unless the matching has_* / *_version says so.
 */
struct dissect_meta {
    uint32_t link_type;
    uint32_t caplen, wirelen;

    bool has_eth;
    uint8_t eth_src[6], eth_dst[6];
    uint16_t ethertype; /* the ethertype that selected L3 (after VLAN tags, LLC/SNAP or SLL) */
    uint8_t nvlan;      /* tags seen, outermost first; at most DISSECT_MAX_VLANS kept */
    uint16_t vlan[DISSECT_MAX_VLANS];

    uint8_t ip_version;   /* 0 none, 4, 6 */
    uint8_t ip_proto;     /* transport protocol after IPv6 extension headers */
    uint8_t ip_ttl;       /* TTL / hop limit */
    bool ip_fragment;     /* a fragment (MF set or offset != 0): no L4 header unless offset 0 */
    uint32_t ip_offset;   /* where the IP header starts in the frame */
    uint32_t ip_len;      /* IPv4 total length / IPv6 40 + payload length, as declared */
    uint32_t ip_id;       /* IPv4 id or IPv6 fragment id */
    uint16_t ip_frag_off; /* in bytes */
    uint8_t ip_src[16], ip_dst[16]; /* IPv4 in the first 4 bytes */

    bool has_ports;
    uint16_t sport, dport;
    uint16_t tcp_flags; /* DISSECT_TCP_* */
    uint32_t tcp_seq, tcp_ack;
    uint16_t tcp_win;
    uint16_t tcp_urp;
    uint32_t l4_offset;      /* start of the TCP/UDP/ICMP header */
    uint32_t payload_offset; /* start of the L4 payload in the frame */
    uint32_t payload_caplen; /* payload bytes actually captured (may be < payload_len) */
    uint32_t payload_len;    /* payload length as the headers declare it */

    uint8_t icmp_type, icmp_code; /* ICMP or ICMPv6 */
    uint16_t icmp_id, icmp_seq;

    bool has_arp;
    uint16_t arp_op;
    uint8_t arp_sha[6], arp_spa[4], arp_tha[6], arp_tpa[4]; /* Ethernet/IPv4 ARP only */

    bool has_dns;
    bool dns_tcp;
    uint16_t dns_id, dns_flags;
    uint16_t dns_qd, dns_an, dns_ns, dns_ar;
    uint16_t dns_qtype;
    struct dissect_str dns_qname; /* first question, without the trailing dot ("" = root) */
    bool dns_has_qname;
    uint32_t dns_offset;

    uint8_t dhcp_msg_type; /* option 53, 0 if absent */
    uint8_t dhcp_op;
    uint8_t dhcp_chaddr[6];
    uint32_t dhcp_xid;

    struct dissect_str http_line; /* request or status line, without CRLF */
    struct dissect_str http_host;
    bool http_response;

    uint8_t tls_content_type; /* of the first record */
    uint8_t tls_hs_type;      /* 1 = ClientHello; 0 when not a handshake */
    struct dissect_str tls_sni;
};

/*
 * dissection.opts: set by the caller once; dissect_frame() never clears it.
 * NO_CHECKSUMS skips checksum verification (no *.bad_checksum events, no *.checksum.status
 * fields): frames a host sends are captured before the NIC fills in offloaded checksums, so
 * outgoing traffic would otherwise raise an event per packet. It also saves the pass over the
 * payload. Wireshark does not verify by default for the same reason.
 */
#define DISSECT_OPT_NO_CHECKSUMS 0x1u

struct dissection {
    unsigned opts; /* DISSECT_OPT_*; kept across frames */
    struct dissect_meta m;
    uint8_t top; /* enum dissect_proto of the highest layer decoded */
    uint8_t nlayers;
    uint8_t nevents;
    uint8_t inner; /* > 0 while dissecting a quoted header (ICMP error) */
    uint16_t nfields;
    uint16_t pool_used;
    uint32_t fields_dropped;
    uint32_t events_dropped;
    const uint8_t *frame; /* the bytes being dissected; valid only during dissect_frame() */
    const uint8_t *cap_end;
    struct dissect_layer layers[DISSECT_MAX_LAYERS];
    struct dissect_event_rec events[DISSECT_MAX_EVENTS];
    struct dissect_field fields[DISSECT_MAX_FIELDS];
    char pool[DISSECT_POOL_SIZE];
};

/* How a frame arrived; formatters take this next to the dissection. */
struct dissect_frame_info {
    uint64_t number; /* 1-based, like frame.number */
    uint64_t ts_ns;  /* ns since the Unix epoch */
    uint32_t caplen;
    uint32_t wirelen;
};

/*
 * Dissects one frame. bytes[0..caplen) are the captured bytes, wirelen the length on the wire.
 * Never reads outside bytes[0..caplen), never fails: problems become events. Cost is bounded by
 * the caps above (and a checksum pass over the bytes).
 */
void dissect_frame(struct dissection *d, uint32_t link_type, const uint8_t *bytes, uint32_t caplen,
                   uint32_t wirelen);

/*
 * A fingerprint of the field, event and protocol tables and of the record structs: the ids in a
 * packed dissection mean the same to two programs only when their fingerprints are equal.
 */
uint32_t dissect_tables_fingerprint(void);

/* Names and table lookups (never NULL; out-of-range ids give "?"). */
const char *dissect_event_name(unsigned id);
uint8_t dissect_event_flags(unsigned id);         /* SHM_PKT_*; unknown ids are malformed */
const char *dissect_proto_name(unsigned proto);   /* "TCP", "DNS", "ICMPv6" */
const char *dissect_proto_abbrev(unsigned proto); /* "tcp", "dns", "icmpv6" */
const struct dissect_field_info *dissect_field_info(unsigned id);

/* A pool string; NUL-terminated in the pool (len excludes the NUL); "" when absent. */
static inline const char *dissect_str_ptr(const struct dissection *d, struct dissect_str s)
{
    return s.len && (size_t)s.off + s.len < DISSECT_POOL_SIZE ? d->pool + s.off : "";
}

/*
 * The address bytes of a DF_IPV4 (4), DF_MAC (6) or DF_IPV6 (16) field. A pool offset that would
 * read past the pool gives zeros instead: a dissection copied from elsewhere may be corrupt
 * (detail_decode() rejects references past pool_used, so a viewer never sees them). Zeros too
 * for a field of another format.
 */
extern const uint8_t dissect_zero_addr[16];
static inline const uint8_t *dissect_field_bytes(const struct dissection *d,
                                                 const struct dissect_field *f)
{
    enum dissect_fmt fmt = dissect_field_info(f->id)->fmt;
    if (fmt == DF_IPV4) return (const uint8_t *)&f->v;
    size_t n = dissect_fmt_addr_len(fmt);
    if (n && (size_t)f->v + n <= DISSECT_POOL_SIZE) return (const uint8_t *)d->pool + f->v;
    return dissect_zero_addr;
}

/* Writes the field's value as text (NUL-terminated, cut to fit); returns the untruncated length. */
size_t dissect_field_text(const struct dissection *d, const struct dissect_field *f, char *buf,
                          size_t len);

/* Address text: ipv4 needs 16 bytes of buf, mac 18, ipv6 46 (like inet_ntop). Return length. */
size_t dissect_fmt_ipv4(const uint8_t a[4], char *buf);
size_t dissect_fmt_ipv6(const uint8_t a[16], char *buf, size_t len);
size_t dissect_fmt_mac(const uint8_t a[6], char *buf);

/* IP protocol numbers as flow tables name them: "TCP", "UDP", "ICMP", "ICMPv6", "SCTP"; NULL
 * for any other. */
const char *dissect_ip_proto_name(unsigned ip_proto);

/* One endpoint of a flow key (b = 0: endpoint a, 1: endpoint b): "10.0.0.1:80", "[fe80::1]:53",
 * or the bare address for protocols without ports. Returns the untruncated length. */
size_t dissect_fmt_endpoint(const struct shm_flow_key *k, int b, char *buf, size_t len);

/* Index of the first field with this id at or after `from`, or -1. */
int dissect_find_field(const struct dissection *d, unsigned id, int from);

/* Number of layers with that protocol (e.g. to ask "is there DNS in here"). */
bool dissect_has_proto(const struct dissection *d, unsigned proto);

/*
 * The canonical bidirectional flow key of shm/layout.h for an IP packet: endpoint a is the
 * smaller (address, port) pair compared as bytes (address first, then port in network order);
 * *dir = 0 when this packet goes a -> b, 1 otherwise. Ports are 0 for protocols without them and
 * for non-first fragments. Returns false (key zeroed) when the frame has no IP layer.
 */
bool dissect_flow_key(const struct dissection *d, struct shm_flow_key *key, int *dir);

/* The Packets-tab summary. Strings are always NUL-terminated. */
struct dissect_summary {
    char src[64]; /* "10.0.0.1", "fe80::1", or a MAC for non-IP */
    char dst[64];
    const char *protocol; /* highest layer: "TCP", "DNS", "TLS", "HTTP", "ARP", "ICMPv6" */
    uint32_t length;      /* wire length */
    char info[256];       /* like the part of tcpdump -nn's line after "src > dst: " */
};
void dissect_summary(const struct dissection *d, struct dissect_summary *s);

/* Just the info line (what tcpdump -nn prints after the addresses); returns the untruncated length.
 */
size_t dissect_info(const struct dissection *d, char *buf, size_t len);

/*
 * tcpdump -nn style line without the timestamp ("IP 10.0.0.1.5353 > 10.0.0.2.53: 1234+ A?
 * example.com. (29)"); returns the untruncated length. print.c adds the timestamp.
 */
size_t dissect_line(const struct dissection *d, char *buf, size_t len);

/* ---- formatters (print.c, json.c): independent of where frames come from -------------------- */

/*
 * tcpdump keeps per-connection state to print relative TCP sequence numbers; so does the
 * printer. Allocate one per stream of frames (print_ctx_new) or pass NULL for absolute numbers.
 */
struct print_ctx;
struct print_ctx *print_ctx_new(void);
void print_ctx_free(struct print_ctx *ctx);

/* "HH:MM:SS.uuuuuu <line>\n" (UTC, like TZ=UTC tcpdump -nn); returns untruncated length. */
size_t dissect_print_format(struct print_ctx *ctx, const struct dissection *d,
                            const struct dissect_frame_info *fi, char *buf, size_t len);
int dissect_print(FILE *out, struct print_ctx *ctx, const struct dissection *d,
                  const struct dissect_frame_info *fi);

/*
 * One JSON object per frame (no newline) with Wireshark field names; a field that occurs more
 * than once becomes an array. Strings are escaped (packet bytes are hostile). Returns the
 * untruncated length; the output is always NUL-terminated and cut on a character boundary.
 */
size_t dissect_json_format(const struct dissection *d, const struct dissect_frame_info *fi,
                           char *buf, size_t len);
int dissect_json(FILE *out, const struct dissection *d, const struct dissect_frame_info *fi);

#endif
