# tests/data: one GoogleTest binary for lib/data. Fixtures are written at run time into
# SIGNSNET_TEST_TMP; the real data is read from SIGNSNET_DATA_DIR (tests skip without it).
signsnet_add_test_binary(signsnet_data_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/data/augment_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/hdf5_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/image_decode_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/image_folder_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/limits_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/loader_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/real_data_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/split_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/test_support.cpp)
# The fixture writers call libjpeg and libpng directly.
target_link_libraries(signsnet_data_tests PRIVATE JPEG::JPEG PNG::PNG)
# Crash inputs the fuzz targets found (tests/fuzz/README.md), read by the regression tests.
target_compile_definitions(signsnet_data_tests PRIVATE
  SIGNSNET_FUZZ_REGRESSIONS="${PROJECT_SOURCE_DIR}/tests/fuzz/regressions")
