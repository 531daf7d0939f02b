# Writes OUTPUT, a C++ source defining `const char NAME[]` and `size_t
# NAME_size` with INPUT's bytes (run with cmake -P at build time, so that a
# change to INPUT rebuilds it).
file(READ "${INPUT}" hex HEX)
string(LENGTH "${hex}" hex_length)
math(EXPR size "${hex_length} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}" "// Generated from ${INPUT} by services/auth/embed.cmake.\n#include <cstddef>\n"
  "extern const char ${NAME}[] = {${bytes} 0};\nextern const size_t ${NAME}_size = ${size};\n")
