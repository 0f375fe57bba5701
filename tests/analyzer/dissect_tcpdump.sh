#!/usr/bin/env bash
# dissect_tcpdump.sh — expected-output test in tcpdump's TESTLIST spirit: for corpus captures
# whose every line packrat-dissect --print already renders exactly like `tcpdump -nn`, keep it so.
# The expected output is tcpdump's own, produced at test time (TZ=UTC on both sides), so the
# corpus is never copied. Files not present (or no tcpdump) are skipped.
set -u
BIN=${PACKRAT_BIN:?}/packrat-dissect
CORPUS=${PACKRAT_CORPUS:-${PACKRAT_ROOT:?}/../shared/corpus/tcpdump}
command -v tcpdump >/dev/null || { echo "FAIL: tcpdump is missing (scripts/setup --test installs it)"; exit 1; }
[ -d "$CORPUS" ] || { echo "FAIL: no corpus at $CORPUS"; exit 1; }
FILES="02-sunrise-sunset-esp.pcap 08-sunrise-sunset-esp2.pcap LINKTYPE_IPV4_invalid.pcap
LINKTYPE_IPV6_invalid.pcap LINKTYPE_RAW_ipv4.pcap bfd-sbfd.pcap dhcp-rfc3004.pcap dhcp-rfc5859.pcap
dns_tcp.pcap dns_udp.pcap dns_udp_8053.pcap gso-ipv4.pcap icmp-rfc8335.pcap icmpv6-ra-pref64.pcap
icmpv6.pcap ipv4_tcp_http_xml.pcap print-flags.pcap quic_handshake.pcap quic_retry.pcap
tcp_eight_lowest_weight_flags_set.pcap time_2038.pcap dhcp-option-108.pcapng"
fail=0 n=0
for f in $FILES; do
    [ -f "$CORPUS/$f" ] || continue
    if ! diff <(TZ=UTC tcpdump -nn -r "$CORPUS/$f" 2>/dev/null) \
              <(TZ=UTC "$BIN" -r "$CORPUS/$f" --print 2>/dev/null) >/tmp/dissect_tcpdump.$$; then
        echo "FAIL $f:"
        head -6 /tmp/dissect_tcpdump.$$
        fail=1
    fi
    n=$((n + 1))
done
rm -f /tmp/dissect_tcpdump.$$
echo "$n captures compared with tcpdump -nn"
[ $fail -eq 0 ] && echo PASS
exit $fail
