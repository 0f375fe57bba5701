# The packrat command (viewer/packrat.c): batch modes in-process, sessions through the three
# programs (viewer/sessions*.c). Included from the top-level CMakeLists.
#
# PACKRAT_WITH_VIEWER=OFF builds packrat without the TUI library: it then runs the sibling
# packrat-viewer program for its viewers (headless devices, or while the viewer does not build).
option(PACKRAT_WITH_VIEWER "Link the TUI into the packrat command" ON)
set(V ${CMAKE_SOURCE_DIR}/viewer)
add_library(packrat_sessions STATIC ${V}/sessions.c ${V}/sessions_run.c)
target_link_libraries(packrat_sessions PUBLIC packrat_privs packrat_iface packrat_shm PkgConfig::PCAP)

add_executable(packrat ${V}/packrat.c)
target_link_libraries(packrat PRIVATE packrat_sessions packrat_analysis packrat_args)
if(TARGET packrat_viewer AND PACKRAT_WITH_VIEWER)
  target_link_libraries(packrat PRIVATE packrat_viewer)
  target_compile_definitions(packrat_sessions PRIVATE PACKRAT_HAVE_VIEWER)
  target_link_libraries(packrat_sessions PRIVATE packrat_viewer)
endif()
if(TARGET packrat_viewer AND TARGET packrat_export)
  # The viewer's `w` key writes through export_pcap() (viewer/session_export.h).
  target_link_libraries(packrat_viewer PUBLIC packrat_export)
endif()
