# ctest's report_check_refuses_bad_pages: tests/node/report_check.js must fail on bad_page.html
# (an external request, a console error, a script error, no report sections), naming each.
# Inputs: NODE, CHROMIUM, NODE_DIR, PAGE, WORK_DIR.
if(NOT NODE OR NOT EXISTS "${NODE}" OR NOT EXISTS "${NODE_DIR}/node_modules/playwright-core")
  message(FATAL_ERROR "report_check_refuses_bad_pages: expected node and ${NODE_DIR}/node_modules "
                      "(see report_browser), got '${NODE}'")
endif()
file(MAKE_DIRECTORY "${WORK_DIR}")
execute_process(COMMAND "${NODE}" "${NODE_DIR}/report_check.js" "${PAGE}" "${WORK_DIR}/bad.png"
                        --chromium "${CHROMIUM}"
                RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "${out}${err}")
if(NOT code EQUAL 1)
  message(FATAL_ERROR "report_check_refuses_bad_pages: expected exit code 1, got ${code}")
endif()
foreach(needle "network: expected no request, got http://127.0.0.1:9/external.png"
               "console: logged error" "page error: undefined_function"
               "source: expected no external URL" "dom: expected section #summary"
               "screenshot: expected 10% of pixels off the background")
  string(FIND "${err}" "${needle}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "report_check_refuses_bad_pages: expected '${needle}' in its output")
  endif()
endforeach()
