#!/bin/bash
# The veth frame-set test through --backend pcap (libpcap live, immediate mode, nanosecond
# precision): the same bytes (libpcap re-inserts the tags), count and kernel timestamps as
# TPACKET_V3.
CAPTURE_EXTRA="--backend pcap" EXPECT_DIRECTION=255 EXPECT_NO_MARKS=1 exec bash "$(dirname "$0")/veth_frames.sh"
