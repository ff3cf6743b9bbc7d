# Data-parallel training: MPI behind the Communicator interface (include/signsnet/distributed.hpp).
list(APPEND SIGNSNET_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist/launch.cpp)
if(SIGNSNET_MPI)
  list(APPEND SIGNSNET_SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/dist/mpi_communicator.cpp)
endif()
