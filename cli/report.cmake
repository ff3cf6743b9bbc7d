# signsnet-cli report: the page's pieces are a small library, so tests/report can test them.
# They call with_commas from common.cpp, which the CLI (and the test binary) compile.
add_library(signsnet-report STATIC
  ${CMAKE_CURRENT_LIST_DIR}/bench_results.cpp
  ${CMAKE_CURRENT_LIST_DIR}/html.cpp
  ${CMAKE_CURRENT_LIST_DIR}/html_report.cpp
  ${CMAKE_CURRENT_LIST_DIR}/png_encode.cpp
  ${CMAKE_CURRENT_LIST_DIR}/report_sections.cpp
  ${CMAKE_CURRENT_LIST_DIR}/run_folder.cpp
  ${CMAKE_CURRENT_LIST_DIR}/svg_chart.cpp)
target_compile_options(signsnet-report PRIVATE -Wall -Wextra)
target_include_directories(signsnet-report PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(signsnet-report PUBLIC signsnet CLI11::CLI11 nlohmann_json::nlohmann_json
                      PRIVATE PNG::PNG)
target_sources(signsnet-cli PRIVATE ${CMAKE_CURRENT_LIST_DIR}/report_command.cpp)
target_link_libraries(signsnet-cli PRIVATE signsnet-report)
