# Runs signsnet-bench's standalone convolutions (BM_Conv/...) and fails when oneDNN chose a
# reference or GEMM kernel for any of them, or when none ran. Their label is the kernel.
# Usage: cmake -DBENCH=<signsnet-bench> -DOUT=<json file> -P conv_kernels_check.cmake
execute_process(
  COMMAND ${BENCH} --threads=2 --benchmark_filter=BM_Conv/ --benchmark_format=json
          --benchmark_out=${OUT} --benchmark_out_format=json
  RESULT_VARIABLE rc OUTPUT_QUIET ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "signsnet-bench exited with ${rc}: ${err}")
endif()
file(READ ${OUT} json)
string(JSON count LENGTH "${json}" benchmarks)
if(count EQUAL 0)
  message(FATAL_ERROR "${OUT}: no BM_Conv benchmark ran")
endif()
math(EXPR last "${count} - 1")
set(bad "")
foreach(i RANGE ${last})
  string(JSON name GET "${json}" benchmarks ${i} name)
  string(JSON label ERROR_VARIABLE no_label GET "${json}" benchmarks ${i} label)
  if(no_label)
    list(APPEND bad "${name}: no kernel label")
  elseif(label MATCHES "ref|gemm|none")
    list(APPEND bad "${name}: ${label}")
  endif()
endforeach()
if(bad)
  list(JOIN bad "\n  " lines)
  message(FATAL_ERROR "kernels oneDNN should not have chosen:\n  ${lines}")
endif()
message(STATUS "${count} convolutions, none on a reference or GEMM kernel")
