# lib/onnx: export to ONNX, written with the generated ONNX classes (onnx_proto) and protobuf.
set(SIGNSNET_ONNX_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/fold.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/graph.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/resnet_graph.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/write.cpp)
list(APPEND SIGNSNET_SOURCES ${SIGNSNET_ONNX_SOURCES})
# export.cpp writes the class names as a JSON array (nlohmann_json, attached in lib/CMakeLists.txt).
list(APPEND SIGNSNET_JSON_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export.cpp)
