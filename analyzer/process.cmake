# The analyzer process and batch modes (packrat-analyzer, packrat_analysis), on top of the
# dissection library built by analyzer/CMakeLists.txt. Included from the top-level CMakeLists.
set(A ${CMAKE_SOURCE_DIR}/analyzer)
add_library(packrat_detail STATIC ${A}/detail.c)
target_link_libraries(packrat_detail PUBLIC packrat_dissect)

add_library(packrat_analysis STATIC ${A}/core.c ${A}/flows.c ${A}/strings.c ${A}/follow.c
                                    ${A}/batch.c)
target_link_libraries(packrat_analysis PUBLIC packrat_detail packrat_dissect packrat_shm
                                              packrat_kflow_read PkgConfig::PCAP)

add_executable(packrat-analyzer ${A}/main.c)
target_link_libraries(packrat-analyzer PRIVATE packrat_analysis)
