# CGIKIT_SANITIZE: "" (none), "address" (ASan+UBSan) or "thread" (TSan). Applied to every target,
# llhttp included, so that instrumented and uninstrumented code never mix.
set(CGIKIT_SANITIZE "" CACHE STRING "sanitizers: '', address (ASan+UBSan), thread")
if(CGIKIT_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(CGIKIT_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT CGIKIT_SANITIZE STREQUAL "")
  message(FATAL_ERROR "CGIKIT_SANITIZE must be '', address or thread")
endif()
