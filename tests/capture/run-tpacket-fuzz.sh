#!/usr/bin/env bash
# run-tpacket-fuzz.sh SECONDS [OUT_DIR] — builds the TPACKET_V3 block fuzzer with clang
# (-fsanitize=fuzzer,address,undefined) straight from the sources, seeds it with well-formed
# blocks, and runs it for SECONDS. A crash leaves its input in OUT_DIR/artifacts/ and fails.
set -euo pipefail
SECS=${1:-60}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${2:-$ROOT/build-fuzz/tpacket}
CC=${CC_FUZZ:-clang}
command -v "$CC" >/dev/null || { echo "FAIL: $CC not found" >&2; exit 1; }
mkdir -p "$OUT/corpus" "$OUT/artifacts" "$OUT/seeds"
"$CC" -g -O1 -std=gnu11 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
    -I"$ROOT" -o "$OUT/fuzz_tpacket" "$ROOT/tests/capture/fuzz_tpacket.c" \
    "$ROOT/capture/frame.c" "$ROOT/capture/sink.c" "$ROOT/capture/filter.c" \
    "$ROOT"/shm/segment.c "$ROOT"/shm/ring.c "$ROOT"/shm/frames.c $(pkg-config --cflags --libs libpcap) -lrt
# Seeds: well-formed blocks of 64- and 1500-byte frames, as the kernel lays them out.
cat >"$OUT/mkseed.c" <<'C'
#include <stdio.h>
#include "tests/capture/block_util.h"
static uint8_t b[16384];
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        uint32_t first, used, n = bu_fill_block(b, sizeof b, (uint32_t)atoi(argv[i]), 1, &first, &used);
        struct tpacket_block_desc *d = (void *)b;
        d->hdr.bh1.num_pkts = n; d->hdr.bh1.blk_len = used; d->hdr.bh1.offset_to_first_pkt = first;
        char path[64]; snprintf(path, sizeof path, "seed-%s", argv[i]);
        FILE *f = fopen(path, "wb"); fwrite(b, 1, used + 1, f); fclose(f);
    }
    return 0;
}
C
"$CC" -I"$ROOT" -include stdlib.h -o "$OUT/mkseed" "$OUT/mkseed.c"
(cd "$OUT/seeds" && ../mkseed 60 64 1500)
"$OUT/fuzz_tpacket" -max_total_time="$SECS" -max_len=65536 -timeout=5 -rss_limit_mb=1024 \
    -artifact_prefix="$OUT/artifacts/" "$OUT/corpus" "$OUT/seeds" 2>&1 | tail -5
