# tests/onnx: exported graphs checked with ONNX's checker and shape inference (libonnx), and run in
# ONNX Runtime (Node.js with tests/node's onnxruntime-node) against signsnet on the SIGNS test set.
signsnet_add_test_binary(signsnet_onnx_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export_errors_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/fold_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/runtime_test.cpp)
find_package(nlohmann_json 3 CONFIG REQUIRED)
target_link_libraries(signsnet_onnx_tests PRIVATE onnx onnx_proto protobuf::libprotobuf
                      nlohmann_json::nlohmann_json)
# The ONNX Runtime tests fail (not skip) when node or tests/node/node_modules is missing.
find_program(SIGNSNET_NODE node)
target_compile_definitions(signsnet_onnx_tests PRIVATE
  SIGNSNET_NODE="${SIGNSNET_NODE}"
  SIGNSNET_NODE_DIR="${PROJECT_SOURCE_DIR}/tests/node")
