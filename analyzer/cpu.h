/*
 * cpu.h — which optional instruction sets the analyzer's per-byte loops (payload checksum,
 * strings scan) may use. On x86-64 that is AVX2, asked of the CPU once per process; everywhere
 * else, and on CPUs without it, the baseline code runs (SSE2 on x86-64, portable C elsewhere).
 *
 * Tests hold the choice to the baseline to check both paths on a machine that has AVX2.
 */
#ifndef PACKRAT_ANALYZER_CPU_H
#define PACKRAT_ANALYZER_CPU_H

#include <stdbool.h>

#if defined(__SSE2__) && defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CPU_HAVE_AVX2_PATHS 1
/*
 * Functions compiled for AVX2; called only when cpu_avx2() says so. With it the bit-manipulation
 * sets every AVX2 CPU has (BMI1, BMI2; cpu_detect() checks them too): the strings scan's per-run
 * bit arithmetic (lowest set bit cleared, bits below j) is then one instruction each instead of
 * two to four. (LZCNT would save two instructions a frame more, but clang's
 * __builtin_cpu_supports() cannot ask for it.)
 */
#define CPU_AVX2_TARGET __attribute__((target("avx2,bmi,bmi2")))
#endif

extern int cpu_avx2_state; /* -1 not asked yet, 0 no, 1 yes */
void cpu_detect(void);

/* True when the AVX2 paths may run. One load and a predictable branch per call. */
static inline bool cpu_avx2(void)
{
    if (cpu_avx2_state < 0) cpu_detect();
    return cpu_avx2_state > 0;
}

/* Tests: true keeps every loop on the baseline path; false returns to what the CPU offers. */
void cpu_use_baseline(bool baseline);

#endif
