list(APPEND SIGNSNET_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/core/add_relu.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/batchnorm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/block.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/channel_layout.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/config.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/conv.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/dense.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/layer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/model.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/network.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/optimizer.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/params.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/pooling.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/runtime.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/subsample.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/core/summary.cpp
)
