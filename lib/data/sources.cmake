# lib/data: data sets (HDF5, JPEG, PNG) and the TBB batch loader.
list(APPEND SIGNSNET_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/data/augment.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/batch_assembler.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/dataset.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/hdf5_reader.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/hdf5_superblock.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/hdf5_util.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/image_decode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/image_folder.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/jpeg_decode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/loader.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/png_decode.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/data/resize.cpp)
