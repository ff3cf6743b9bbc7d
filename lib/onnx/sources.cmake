# lib/onnx: export to ONNX, written with the generated ONNX classes (onnx_proto) and protobuf.
set(SIGNSNET_ONNX_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/fold.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/graph.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/resnet_graph.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/onnx/write.cpp)
list(APPEND SIGNSNET_SOURCES ${SIGNSNET_ONNX_SOURCES})
# export.cpp writes the class names as a JSON array (nlohmann_json, as lib/train).
find_package(nlohmann_json 3 CONFIG REQUIRED)
get_target_property(SIGNSNET_ONNX_JSON_INCLUDES nlohmann_json::nlohmann_json
                    INTERFACE_INCLUDE_DIRECTORIES)
list(REMOVE_ITEM SIGNSNET_ONNX_JSON_INCLUDES ${CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES})
if(SIGNSNET_ONNX_JSON_INCLUDES)
  set_property(SOURCE ${CMAKE_CURRENT_SOURCE_DIR}/onnx/export.cpp APPEND PROPERTY
    INCLUDE_DIRECTORIES ${SIGNSNET_ONNX_JSON_INCLUDES})
endif()
