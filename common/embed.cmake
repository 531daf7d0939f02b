# Compiles files into a C++ source (run with cmake -P at build time, so that
# a change to an input rebuilds it). Two forms:
#   -DINPUT=file -DOUTPUT=out.cc -DNAME=kName
#       `const char kName[]` (NUL-terminated) and `size_t kName_size`;
#   -DROOT=dir -DFILES_LIST=list.txt -DOUTPUT=out.cc -DNAME=kName -DHEADER=path.h
#       (list.txt: the files, a CMake list)
#       `const EmbeddedFile kName[]` (declared in HEADER, which defines
#       struct EmbeddedFile {path, data, size} in namespace hirs) and
#       `size_t kName_count`, each path relative to ROOT.
function(bytes_of file out_var out_size)
  file(READ "${file}" hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
  set(${out_var} "${bytes}" PARENT_SCOPE)
  set(${out_size} "${size}" PARENT_SCOPE)
endfunction()

if(DEFINED INPUT)
  bytes_of("${INPUT}" bytes size)
  file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by common/embed.cmake.\n#include <cstddef>\n"
    "extern const char ${NAME}[] = {${bytes} 0};\nextern const size_t ${NAME}_size = ${size};\n")
  return()
endif()

file(READ "${FILES_LIST}" FILES)
set(body "// Generated from ${ROOT} by common/embed.cmake.\n#include \"${HEADER}\"\n\nnamespace hirs {\nnamespace {\n")
set(table "")
set(index 0)
list(SORT FILES)
foreach(file IN LISTS FILES)
  bytes_of("${file}" bytes size)
  file(RELATIVE_PATH path "${ROOT}" "${file}")
  string(APPEND body "const char f${index}[] = {${bytes} 0};\n")
  string(APPEND table "    {\"${path}\", f${index}, ${size}},\n")
  math(EXPR index "${index} + 1")
endforeach()
string(APPEND body "}  // namespace\n\nextern const EmbeddedFile ${NAME}[] = {\n${table}};\n"
  "extern const size_t ${NAME}_count = ${index};\n\n}  // namespace hirs\n")
file(WRITE "${OUTPUT}" "${body}")
