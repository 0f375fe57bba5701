# Kernel flow counter (capture/flowcount). The script tests need root: they create network
# namespaces and a veth pair and load BPF, and they fail (never skip) when not run as root.

# Helpers the scripts drive: fc_probe (the library as capture uses it) and fc_send (raw frames).
add_executable(fc_probe flowcount/fc_probe.c flowcount/fc_dropper.c)
target_link_libraries(fc_probe PRIVATE packrat_flowcount packrat_kflow_read PkgConfig::PCAP)
add_executable(fc_send flowcount/fc_send.c)
set_target_properties(fc_probe fc_send PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# The seqlocked table in segment 1: writer and reader without BPF (no root needed).
packrat_test(test_flowcount_table SOURCES flowcount/test_flowcount_table.c
             LIBS packrat_flowcount packrat_kflow_read TIMEOUT 120)

packrat_script_test(flowcount_exact tests/flowcount/exact.sh TIMEOUT 120)
packrat_script_test(flowcount_tc_fallback tests/flowcount/tc_fallback.sh TIMEOUT 120)
packrat_script_test(flowcount_bulk tests/flowcount/bulk.sh TIMEOUT 300)
packrat_script_test(flowcount_cache tests/flowcount/cache.sh TIMEOUT 120)
packrat_script_test(flowcount_kill tests/flowcount/kill.sh TIMEOUT 120)
packrat_script_test(flowcount_overflow tests/flowcount/overflow.sh TIMEOUT 300)
packrat_script_test(flowcount_unavailable tests/flowcount/unavailable.sh TIMEOUT 60)
packrat_script_test(flowcount_first tests/flowcount/first.sh TIMEOUT 60)
packrat_script_test(flowcount_tun tests/flowcount/tun.sh TIMEOUT 60)
