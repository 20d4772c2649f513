# cgikit_warnings: an interface target every first-party target links to.
add_library(cgikit_warnings INTERFACE)
target_compile_options(cgikit_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align -Wunused -Woverloaded-virtual
  -Wdouble-promotion -Wformat=2 -Wimplicit-fallthrough)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports -Wrestrict inside libstdc++'s std::string at -O3 (GCC bug 105329): not ours.
  target_compile_options(cgikit_warnings INTERFACE -Wno-restrict)
  # GCC 12 warns when C++20 designated initializers leave members to their defaults, which is
  # exactly what designated initializers are for.
  target_compile_options(cgikit_warnings INTERFACE -Wno-missing-field-initializers)
  # GCC 12 reports -Wmaybe-uninitialized inside libstdc++ (std::regex, std::optional) when built
  # with the sanitizers: false positives that -Werror would turn into a failed ASan build.
  target_compile_options(cgikit_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
if(CGIKIT_WERROR)
  target_compile_options(cgikit_warnings INTERFACE -Werror)
endif()
