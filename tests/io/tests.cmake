# tests/io: checkpoints (HDF5), written to SIGNSNET_TEST_TMP at run time.
signsnet_add_test_binary(signsnet_io_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/io/checkpoint_limits_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/io/checkpoint_test.cpp)
# Crash inputs the fuzz targets found (tests/fuzz/README.md), read by the regression tests.
target_compile_definitions(signsnet_io_tests PRIVATE
  SIGNSNET_FUZZ_REGRESSIONS="${PROJECT_SOURCE_DIR}/tests/fuzz/regressions")
