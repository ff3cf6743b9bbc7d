# tests/bench: the benchmark suite's standalone convolutions run on the kernels the network runs
# (no reference or GEMM kernel), on whatever machine the tests run.
if(TARGET signsnet-bench)
  add_test(NAME bench.conv_kernels
    COMMAND ${CMAKE_COMMAND}
      -DBENCH=$<TARGET_FILE:signsnet-bench>
      -DOUT=${CMAKE_CURRENT_BINARY_DIR}/bench_conv_kernels.json
      -P ${CMAKE_CURRENT_SOURCE_DIR}/bench/conv_kernels_check.cmake)
  set_tests_properties(bench.conv_kernels PROPERTIES TIMEOUT 900 RUN_SERIAL TRUE)
endif()
