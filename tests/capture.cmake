# Capture (issue 3): tools shared with other areas, unit tests, and root-only veth tests.
#
# Tools land in ${CMAKE_BINARY_DIR}/tests: ringdump (ring -> pcap, reusable by anyone),
# pktsend (frames from a pcap or a blast onto an interface), mkframes (the known frame set),
# rawtpacket (a TPACKET_V3 reader that copies nothing: scripts/bench-capture's baseline).
function(packrat_tool name)
  add_executable(${name} ${ARGN})
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
endfunction()

packrat_tool(ringdump tools/ringdump.c)
target_link_libraries(ringdump PRIVATE packrat_shm PkgConfig::PCAP)
packrat_tool(pktsend tools/pktsend.c)
target_link_libraries(pktsend PRIVATE PkgConfig::PCAP)
packrat_tool(rawtpacket tools/rawtpacket.c)
packrat_tool(mkframes capture/mkframes.c)
target_link_libraries(mkframes PRIVATE PkgConfig::PCAP)

if(TARGET packrat_capture_core)
  packrat_test(test_capture_frame SOURCES capture/test_capture_frame.c
    LIBS packrat_capture_core TIMEOUT 60 LABELS capture)
endif()

# Root-only integration tests: each creates and removes its own namespaces and veth pair.
foreach(t veth_frames pcap_backend filter privs ifdown ifdown_pcap readfile any truncate headless loopback)
  packrat_script_test(capture_${t} tests/capture/${t}.sh TIMEOUT 120 LABELS "capture;root")
endforeach()

# User-space cost of the capture hot path (block -> ring), used by scripts/bench-capture.
if(TARGET packrat_capture_core)
  packrat_tool(bench_capture_copy capture/bench_capture_copy.c)
  target_link_libraries(bench_capture_copy PRIVATE packrat_capture_core)
endif()

# libFuzzer target (clang only): arbitrary bytes as a TPACKET_V3 block through cap_block_copy
# into a real ring. `tests/capture/run-tpacket-fuzz.sh SECONDS` does the same without CMake.
if(PACKRAT_FUZZ AND CMAKE_C_COMPILER_ID MATCHES "Clang")
  add_executable(fuzz_tpacket capture/fuzz_tpacket.c ${CMAKE_SOURCE_DIR}/capture/frame.c
    ${CMAKE_SOURCE_DIR}/capture/sink.c ${CMAKE_SOURCE_DIR}/capture/filter.c)
  target_link_libraries(fuzz_tpacket PRIVATE packrat_flowcount packrat_export packrat_shm PkgConfig::PCAP)
  target_compile_options(fuzz_tpacket PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_tpacket PRIVATE -fsanitize=fuzzer,address,undefined)
  set_target_properties(fuzz_tpacket PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  add_test(NAME fuzz_tpacket_smoke COMMAND fuzz_tpacket -max_total_time=20 -max_len=65536)
  set_tests_properties(fuzz_tpacket_smoke PROPERTIES TIMEOUT 120)
endif()
