# ctest's report_browser: trains a tiny model on SIGNS for a few epochs with a validation split,
# writes its report with benchmark results, then renders it in headless Chromium
# (tests/node/report_check.js). The screenshot stays in WORK_DIR/report.png.
# Inputs: CLI, NODE, CHROMIUM, NODE_DIR, DATA_DIR, BENCH_JSON, WORK_DIR.

function(require condition message)
  if(NOT ${condition})
    message(FATAL_ERROR "report_browser: ${message}")
  endif()
endfunction()

set(node_ok FALSE)
if(NODE AND EXISTS "${NODE}")
  set(node_ok TRUE)
endif()
require(node_ok "expected Node.js (node on the PATH), got '${NODE}'; install Debian's nodejs")
set(modules_ok FALSE)
if(EXISTS "${NODE_DIR}/node_modules/playwright-core" AND EXISTS "${NODE_DIR}/node_modules/pngjs")
  set(modules_ok TRUE)
endif()
require(modules_ok "expected ${NODE_DIR}/node_modules with playwright-core and pngjs, got none; \
run: cd ${NODE_DIR} && npm ci --ignore-scripts --no-audit --no-fund")
set(chromium_ok FALSE)
if(CHROMIUM AND EXISTS "${CHROMIUM}")
  set(chromium_ok TRUE)
endif()
require(chromium_ok "expected Chromium at /usr/bin/chromium, got '${CHROMIUM}'; install Debian's chromium")
set(data_ok FALSE)
if(EXISTS "${DATA_DIR}/train_signs.h5" AND EXISTS "${DATA_DIR}/test_signs.h5")
  set(data_ok TRUE)
endif()
require(data_ok "expected SIGNS in ${DATA_DIR} (train_signs.h5, test_signs.h5), got none")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE code OUTPUT_VARIABLE out ERROR_VARIABLE err)
  message(STATUS "${what}:\n${out}${err}")
  if(NOT code EQUAL 0)
    message(FATAL_ERROR "report_browser: ${what}: expected exit code 0, got ${code}")
  endif()
endfunction()

# One compute thread: on a busy 2-core machine two OpenMP threads wait on each other (an epoch
# took 8 to 32 s instead of 1 s); one thread trains the 4 epochs in about 4 s under load.
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
run("train" "${CLI}" train --data "${DATA_DIR}" --config tiny --input-size 64 --epochs 4
    --val-split 0.1 --seed 1 --threads 1 --out "${WORK_DIR}/run")
run("report" "${CLI}" report --run "${WORK_DIR}/run" --data "${DATA_DIR}" --bench "${BENCH_JSON}"
    --threads 1 --out "${WORK_DIR}/report.html")
run("report_check.js" "${NODE}" "${NODE_DIR}/report_check.js" "${WORK_DIR}/report.html"
    "${WORK_DIR}/report.png" --expect-bench --expect-validation --chromium "${CHROMIUM}")
