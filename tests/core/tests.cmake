set(SIGNSNET_CORE_TESTS
  ${CMAKE_CURRENT_SOURCE_DIR}/core/model_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/gradient_check_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/sync_bn_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/block_transpose_test.cpp)
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/core/layers_test.cpp)
  list(APPEND SIGNSNET_CORE_TESTS ${CMAKE_CURRENT_SOURCE_DIR}/core/layers_test.cpp)
endif()
signsnet_add_test_binary(signsnet_core_tests ${SIGNSNET_CORE_TESTS})
