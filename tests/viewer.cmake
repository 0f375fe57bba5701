# Viewer (issue 5): the real packrat-viewer in tmux against file and live (veth) sessions.
# Each script makes its own session, tmux socket and work directory and removes them on exit.
# live_veth and lapping need root (network namespaces) and fail, not skip, without it.
foreach(t file_tabs filter splash resize multi signals mono recover save)
  packrat_script_test(viewer_${t} tests/viewer/${t}.sh TIMEOUT 120 LABELS viewer)
endforeach()
foreach(t live_veth lapping fingerprint)
  packrat_script_test(viewer_${t} tests/viewer/${t}.sh TIMEOUT 180 LABELS "viewer;root")
endforeach()

if(TARGET packrat_viewer)
  packrat_test(test_viewer_units SOURCES viewer/test_viewer_units.c LIBS packrat_viewer
    TIMEOUT 60 LABELS viewer)
endif()
