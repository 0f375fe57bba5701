# Sessions (issue 6): the packrat command, supervision, viewers, recording and export.
# Every script needs root (namespaces, other users); they fail, not skip, without it.
add_executable(session_export_tool session/export_tool.c)
target_link_libraries(session_export_tool PRIVATE packrat_export packrat_shm)
set_target_properties(session_export_tool PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

packrat_script_test(session_cli tests/session/cli.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_supervise tests/session/supervise.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_viewers tests/session/viewers.sh TIMEOUT 180 LABELS "session;root")
packrat_script_test(session_foreground tests/session/foreground.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_record tests/session/record.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_diskfull tests/session/diskfull.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_devices tests/session/devices.sh TIMEOUT 120 LABELS "session;root")
packrat_script_test(session_live_print tests/session/live_print.sh TIMEOUT 120 LABELS "session;root")
