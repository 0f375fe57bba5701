# analyzer: the dissection library (packrat_dissect) and its tools.
packrat_test(test_dissect SOURCES analyzer/test_dissect.c LIBS packrat_dissect TIMEOUT 120)
# Every capture of ../shared/corpus/tcpdump through packrat-dissect --json (and --print).
packrat_script_test(analyzer_dissect_corpus tests/analyzer/dissect_corpus.sh TIMEOUT 600)
# Generated captures, compared field by field with tshark -T fields.
packrat_script_test(analyzer_dissect_tshark tests/analyzer/dissect_tshark.sh TIMEOUT 300)

# libFuzzer target for frame dissection (clang only): built from the library sources so that
# they carry the fuzzer's coverage instrumentation. `tests/fuzz/run-dissect-fuzz.sh SECONDS`
# does the same without CMake.
if(PACKRAT_FUZZ)
  if(CMAKE_C_COMPILER_ID MATCHES "Clang")
    file(GLOB fuzz_dissect_src ${CMAKE_SOURCE_DIR}/analyzer/dissect*.c)
    list(FILTER fuzz_dissect_src EXCLUDE REGEX "dissect_main\\.c$")
    add_executable(fuzz_dissect fuzz/fuzz_dissect.c ${fuzz_dissect_src}
      ${CMAKE_SOURCE_DIR}/analyzer/print.c ${CMAKE_SOURCE_DIR}/analyzer/json.c)
    target_compile_options(fuzz_dissect PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_dissect PRIVATE -fsanitize=fuzzer,address,undefined)
    set_target_properties(fuzz_dissect PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
    add_test(NAME fuzz_dissect_smoke COMMAND fuzz_dissect -max_total_time=20 -max_len=4096)
    set_tests_properties(fuzz_dissect_smoke PROPERTIES TIMEOUT 120)
  else()
    message(WARNING "PACKRAT_FUZZ needs clang; use tests/fuzz/run-dissect-fuzz.sh")
  endif()
endif()
# Corpus captures whose --print output matches tcpdump -nn line for line stay that way.
packrat_script_test(analyzer_dissect_tcpdump tests/analyzer/dissect_tcpdump.sh TIMEOUT 120)
# The detail record: packing round trip over the corpus, the wide form, damaged records.
packrat_test(test_detail SOURCES analyzer/test_detail.c LIBS packrat_detail PkgConfig::PCAP TIMEOUT 300)
