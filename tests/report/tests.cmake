# tests/report: signsnet-cli report. Unit tests of the page's pieces and the command's error
# paths (GoogleTest, synthetic data), and report_browser: a real run on SIGNS rendered in
# headless Chromium by tests/node/report_check.js.
if(TARGET signsnet-report)
  signsnet_add_test_binary(signsnet_report_tests
    ${CMAKE_CURRENT_SOURCE_DIR}/report/html_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/report/png_encode_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/report/readers_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/report/report_cli_test.cpp
    ${CMAKE_CURRENT_SOURCE_DIR}/report/svg_chart_test.cpp
    ${PROJECT_SOURCE_DIR}/cli/common.cpp)
  target_link_libraries(signsnet_report_tests PRIVATE signsnet-report)
  target_compile_definitions(signsnet_report_tests PRIVATE
    SIGNSNET_CLI="$<TARGET_FILE:signsnet-cli>"
    SIGNSNET_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  add_dependencies(signsnet_report_tests signsnet-cli)

  # Fails (not skips) with a message when node, tests/node/node_modules or Chromium is missing.
  find_program(SIGNSNET_NODE node)
  find_program(SIGNSNET_CHROMIUM chromium PATHS /usr/bin)
  add_test(NAME report_browser
    COMMAND ${CMAKE_COMMAND}
      -DCLI=$<TARGET_FILE:signsnet-cli>
      -DNODE=${SIGNSNET_NODE}
      -DCHROMIUM=${SIGNSNET_CHROMIUM}
      -DNODE_DIR=${PROJECT_SOURCE_DIR}/tests/node
      -DDATA_DIR=${SIGNSNET_DATA_DIR}
      -DBENCH_JSON=${PROJECT_SOURCE_DIR}/bench/results/2026-11-27-session2.json
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/report_browser
      -P ${CMAKE_CURRENT_SOURCE_DIR}/report/browser_test.cmake)
  set_tests_properties(report_browser PROPERTIES TIMEOUT 600)
  # The checker itself: a page with an external request and script errors must fail it.
  add_test(NAME report_check_refuses_bad_pages
    COMMAND ${CMAKE_COMMAND}
      -DNODE=${SIGNSNET_NODE}
      -DCHROMIUM=${SIGNSNET_CHROMIUM}
      -DNODE_DIR=${PROJECT_SOURCE_DIR}/tests/node
      -DPAGE=${CMAKE_CURRENT_SOURCE_DIR}/report/bad_page.html
      -DWORK_DIR=${CMAKE_CURRENT_BINARY_DIR}/report_bad_page
      -P ${CMAKE_CURRENT_SOURCE_DIR}/report/bad_page_test.cmake)
  set_tests_properties(report_check_refuses_bad_pages PROPERTIES TIMEOUT 120)
endif()
