# Data-parallel training: ranks as threads (no MPI needed), and over mpirun when built with MPI.
signsnet_add_test_binary(signsnet_dist_tests ${CMAKE_CURRENT_SOURCE_DIR}/dist/model_dist_test.cpp)
