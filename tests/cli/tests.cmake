# tests/cli: runs the built signsnet-cli (when SIGNSNET_BUILD_CLI is on) on synthetic HDF5 files.
if(TARGET signsnet-cli)
  signsnet_add_test_binary(signsnet_cli_tests ${CMAKE_CURRENT_SOURCE_DIR}/cli/cli_test.cpp)
  target_compile_definitions(signsnet_cli_tests PRIVATE SIGNSNET_CLI="$<TARGET_FILE:signsnet-cli>")
  target_link_libraries(signsnet_cli_tests PRIVATE nlohmann_json::nlohmann_json)
  add_dependencies(signsnet_cli_tests signsnet-cli)
  target_sources(signsnet_cli_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/cli/export_test.cpp)
endif()
