# Writes OUTPUT, a header defining OPTIM_BUILD_ID: a SHA-256 of the sources
# that decide the code optim generates (the C++ and TableGen files of lib/,
# include/ and dialects/ under SOURCE_DIR). The kernel cache keys entries by
# it, so that a rebuilt optim never loads a step compiled by an older one.
# Run at every build; the header only changes (and its users only
# recompile) when a source does.
set(sources "")
foreach(dir lib include dialects)
  file(GLOB_RECURSE found LIST_DIRECTORIES false
    "${SOURCE_DIR}/${dir}/*.cpp" "${SOURCE_DIR}/${dir}/*.h"
    "${SOURCE_DIR}/${dir}/*.td")
  list(APPEND sources ${found})
endforeach()
list(SORT sources)
set(manifest "")
foreach(source IN LISTS sources)
  file(SHA256 "${source}" hash)
  file(RELATIVE_PATH name "${SOURCE_DIR}" "${source}")
  string(APPEND manifest "${name} ${hash}\n")
endforeach()
string(SHA256 id "${manifest}")
file(WRITE "${OUTPUT}.tmp" "#define OPTIM_BUILD_ID \"${id}\"\n")
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy_if_different
  "${OUTPUT}.tmp" "${OUTPUT}")
file(REMOVE "${OUTPUT}.tmp")
