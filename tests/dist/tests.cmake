# Data-parallel training: ranks as threads (no MPI needed), and over mpirun when built with MPI.
signsnet_add_test_binary(signsnet_dist_tests ${CMAKE_CURRENT_SOURCE_DIR}/dist/model_dist_test.cpp)

if(SIGNSNET_MPI)
  # One process per rank: ctest starts mpirun, which starts the test binary twice.
  add_executable(signsnet_mpi_tests ${CMAKE_CURRENT_SOURCE_DIR}/dist/mpi_test.cpp)
  target_link_libraries(signsnet_mpi_tests PRIVATE signsnet GTest::gtest DNNL::dnnl
                        OpenMP::OpenMP_CXX TBB::tbb ${HDF5_C_LIBRARIES})
  target_include_directories(signsnet_mpi_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(signsnet_mpi_tests PRIVATE
    SIGNSNET_TEST_TMP="${CMAKE_CURRENT_BINARY_DIR}/tmp")
  # --allow-run-as-root: CI runs as root; --oversubscribe: 2 ranks on machines with fewer slots.
  set(SIGNSNET_MPIRUN ${MPIEXEC_EXECUTABLE} --allow-run-as-root --oversubscribe)
  add_test(NAME mpi.two_ranks
           COMMAND ${SIGNSNET_MPIRUN} -np 2 $<TARGET_FILE:signsnet_mpi_tests>)
  add_test(NAME mpi.cli
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/dist/mpi_cli_test.sh
                   $<TARGET_FILE:signsnet-cli> ${SIGNSNET_DATA_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/tmp/mpi_cli ${MPIEXEC_EXECUTABLE})
  set_tests_properties(mpi.two_ranks mpi.cli PROPERTIES TIMEOUT 600)
endif()

if(SIGNSNET_MPI AND SIGNSNET_SANITIZE)
  # Open MPI's components are unloaded at MPI_Finalize and leave allocations that LeakSanitizer
  # can only attribute to "<unknown module>", so leak checking is off for the mpirun tests.
  # signsnet's own data-parallel code runs under LeakSanitizer in signsnet_dist_tests (ranks as
  # threads) and tests/core's synchronized batch norm tests.
  set_tests_properties(mpi.two_ranks mpi.cli PROPERTIES
    ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0:abort_on_error=1")
endif()
