# packrat-record (capture/record.c), the unprivileged recorder behind `packrat -w`, and the pcap
# export library it shares with the viewer's `w` key (viewer/session_export.c). Included from the
# top-level CMakeLists before viewer/packrat.cmake, which links the library into the viewer.
add_library(packrat_export STATIC ${CMAKE_SOURCE_DIR}/viewer/session_export.c)
target_link_libraries(packrat_export PUBLIC packrat_shm)

add_executable(packrat-record ${CMAKE_SOURCE_DIR}/capture/record.c)
target_link_libraries(packrat-record PRIVATE packrat_export packrat_shm packrat_args)
