#!/bin/bash
# The interface down/up and delete/re-create test through --backend pcap.
exec bash "$(dirname "$0")/ifdown.sh" --backend pcap
