# The analyzer process (analyzer/process.cmake): segment 2 through a real session, restart,
# flows against tshark, the flow index, strings.
add_executable(analysisdump tools/analysisdump.c)
target_link_libraries(analysisdump PRIVATE packrat_detail packrat_shm)
set_target_properties(analysisdump PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

packrat_test(test_analyzer_flows SOURCES test_analyzer_flows.c LIBS packrat_analysis)
# What analyzer_frame() publishes, read back from the rings (strings through a lapped ring).
packrat_test(test_analyzer_publish SOURCES test_analyzer_publish.c LIBS packrat_analysis packrat_detail)
packrat_script_test(analyzer_flows_vs_tshark tests/analyzer-process/flows_vs_tshark.sh TIMEOUT 300)
packrat_script_test(analyzer_session_pipeline tests/analyzer-process/session_pipeline.sh TIMEOUT 300)
packrat_script_test(analyzer_restart tests/analyzer-process/restart.sh TIMEOUT 300)

# The analyzer-alone benchmark (scripts/bench analyze); not a test.
add_executable(bench_analyzer bench_analyzer.c)
target_link_libraries(bench_analyzer PRIVATE packrat_analysis)
set_target_properties(bench_analyzer PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
packrat_script_test(analyzer_batch_modes tests/analyzer-process/batch_modes.sh TIMEOUT 120)
