/*
 * cpu.c — the one place that asks the CPU what it has (see cpu.h).
 */
#include "cpu.h"

int cpu_avx2_state = -1;

void cpu_detect(void)
{
#if defined(CPU_HAVE_AVX2_PATHS)
    bool ok = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi") &&
              __builtin_cpu_supports("bmi2");
    cpu_avx2_state = ok ? 1 : 0;
#else
    cpu_avx2_state = 0;
#endif
}

void cpu_use_baseline(bool baseline)
{
    if (baseline)
        cpu_avx2_state = 0;
    else
        cpu_detect();
}
