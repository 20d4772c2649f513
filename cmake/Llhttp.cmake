# llhttp from Debian's node-llhttp package: the header lives in /usr/share/include/llhttp and the C
# sources in /usr/share/llhttp. We compile them here as a static library (llhttp::llhttp); nothing
# third-party is copied into the repository.
find_path(LLHTTP_INCLUDE_DIR llhttp.h
  HINTS /usr/share/include/llhttp /usr/include/llhttp /usr/include
  DOC "directory holding llhttp.h (Debian: node-llhttp)")
find_path(LLHTTP_SOURCE_DIR llhttp.c
  HINTS /usr/share/llhttp
  DOC "directory holding llhttp.c, api.c, http.c (Debian: node-llhttp)")
if(NOT LLHTTP_INCLUDE_DIR OR NOT LLHTTP_SOURCE_DIR)
  message(FATAL_ERROR "llhttp not found: install Debian package node-llhttp (./test.sh does this)")
endif()
add_library(llhttp STATIC
  ${LLHTTP_SOURCE_DIR}/llhttp.c ${LLHTTP_SOURCE_DIR}/api.c ${LLHTTP_SOURCE_DIR}/http.c)
target_include_directories(llhttp SYSTEM PUBLIC ${LLHTTP_INCLUDE_DIR})
set_target_properties(llhttp PROPERTIES C_STANDARD 99 POSITION_INDEPENDENT_CODE ON)
# Third-party code: our warning flags do not apply to it.
target_compile_options(llhttp PRIVATE -w)
add_library(llhttp::llhttp ALIAS llhttp)
