packrat_test(test_shm_segment SOURCES test_shm_segment.c LIBS packrat_shm)
packrat_test(test_shm_ring SOURCES test_shm_ring.c LIBS packrat_shm)
packrat_test(test_shm_stress SOURCES test_shm_stress.c LIBS packrat_shm TIMEOUT 900)

# The ring benchmark (run by scripts/bench ring; not a test).
add_executable(bench_ring bench_ring.c)
target_link_libraries(bench_ring PRIVATE packrat_shm)
set_target_properties(bench_ring PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
packrat_test(test_shm_analysis SOURCES test_shm_analysis.c LIBS packrat_shm)
