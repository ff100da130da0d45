# The consumer check: install optim's build tree into a fresh prefix, build
# test/Install/consumer against it with find_package(Optim), run it.
foreach(var BUILD_DIR SOURCE_DIR WORK CXX GENERATOR)
  if(NOT ${var})
    message(FATAL_ERROR "${var} is not set")
  endif()
endforeach()

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out
    ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  message(STATUS "${what}: ok")
  set(last_output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE "${WORK}")
set(prefix "${WORK}/prefix")
run("cmake --install" ${CMAKE_COMMAND} --install "${BUILD_DIR}"
  --prefix "${prefix}")
foreach(file lib/cmake/optim/OptimConfig.cmake
             lib/cmake/optim/OptimTargets.cmake
             include/optim/Runtime/Optimizer.h
             include/optim/Support/AdamVariant.h
             include/optim-c/Runtime.h
             include/optim/Dialect/Optim/IR/OptimOps.h.inc
             bin/optim-opt)
  if(NOT EXISTS "${prefix}/${file}")
    message(FATAL_ERROR "not installed: ${file}")
  endif()
endforeach()

run("configure the consumer" ${CMAKE_COMMAND} -G "${GENERATOR}"
  -S "${SOURCE_DIR}" -B "${WORK}/build" -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run("build the consumer" ${CMAKE_COMMAND} --build "${WORK}/build")
# Its own kernel cache directory: nothing shared with other tests.
run("run the consumer" ${CMAKE_COMMAND} -E env
  OPTIM_CACHE_DIR=${WORK}/kernel-cache "${WORK}/build/adamw-consumer")
message(STATUS "${last_output}")
run("run the dialect consumer" "${WORK}/build/dialect-consumer")
message(STATUS "${last_output}")
if(EXISTS "${WORK}/build/mpi-consumer")
  run("run the MPI consumer" ${CMAKE_COMMAND} -E env
    OPTIM_CACHE_DIR=${WORK}/kernel-cache "${WORK}/build/mpi-consumer")
  message(STATUS "${last_output}")
endif()
run("the installed optim-opt" "${prefix}/bin/optim-opt" --version)
