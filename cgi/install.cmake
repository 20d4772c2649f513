# Installation of libcgikit, included at the end of cgi/CMakeLists.txt. `cmake --install` puts
# under the prefix (GNUInstallDirs names):
#   lib/libcgikit.a                      the library
#   include/cgikit/*.hpp                 its headers (<cgikit/cgikit.hpp> includes them all)
#   lib/cmake/cgikit/                    a CMake package: find_package(cgikit) -> cgikit::cgi
#   lib/pkgconfig/cgikit.pc              the same for pkg-config: pkg-config --cflags --libs cgikit
# docs/deploy.md shows a program built against it both ways.
include(CMakePackageConfigHelpers)

set(CGIKIT_CMAKE_PACKAGE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cgikit)

# The headers need C++20 (std::span, <=>): say so in the target, so that a consumer's default
# standard is raised rather than failing on the first header.
target_compile_features(cgikit_cgi PUBLIC cxx_std_20)

# A static library carries its PRIVATE links in its interface as $<LINK_ONLY:...>: the export would
# then name cgikit_warnings, our compiler-warning flags, which exist only in this build. Keep it to
# the build tree.
get_target_property(cgikit_cgi_interface cgikit_cgi INTERFACE_LINK_LIBRARIES)
list(TRANSFORM cgikit_cgi_interface REPLACE "^\\$<LINK_ONLY:cgikit_warnings>$"
  "$<BUILD_INTERFACE:cgikit_warnings>")
set_target_properties(cgikit_cgi PROPERTIES INTERFACE_LINK_LIBRARIES "${cgikit_cgi_interface}")

set_target_properties(cgikit_cgi PROPERTIES EXPORT_NAME cgi)
# (The target's own $<INSTALL_INTERFACE:include> tells consumers where the headers are.)
install(TARGETS cgikit_cgi EXPORT cgikitTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${CMAKE_CURRENT_SOURCE_DIR}/include/cgikit
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.hpp")
install(EXPORT cgikitTargets NAMESPACE cgikit:: DESTINATION ${CGIKIT_CMAKE_PACKAGE_DIR})

# cgikitConfig.cmake: the one dependency the headers expose is nlohmann_json (request.hpp).
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/cgikitConfig.cmake.in [=[
# find_package(cgikit) -> the imported target cgikit::cgi (headers, libcgikit.a, nlohmann_json).
@PACKAGE_INIT@
include(CMakeFindDependencyMacro)
find_dependency(nlohmann_json 3)
include(${CMAKE_CURRENT_LIST_DIR}/cgikitTargets.cmake)
check_required_components(cgikit)
]=])
configure_package_config_file(${CMAKE_CURRENT_BINARY_DIR}/cgikitConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/cgikitConfig.cmake INSTALL_DESTINATION ${CGIKIT_CMAKE_PACKAGE_DIR})
# 0.x: a new minor version may change the API, so only the same major.minor is compatible.
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/cgikitConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cgikitConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/cgikitConfigVersion.cmake DESTINATION ${CGIKIT_CMAKE_PACKAGE_DIR})

# cgikit.pc. The prefix is found from the file's own place (${pcfiledir}), so the file stays right
# whatever `cmake --install --prefix` or DESTDIR puts it under. Cflags carry no -std: compile with
# -std=c++20 (or later) yourself.
file(RELATIVE_PATH cgikit_pc_to_prefix /prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /prefix)
string(REGEX REPLACE "/$" "" cgikit_pc_to_prefix "${cgikit_pc_to_prefix}")
file(CONFIGURE OUTPUT ${CMAKE_CURRENT_BINARY_DIR}/cgikit.pc @ONLY CONTENT [=[
prefix=${pcfiledir}/@cgikit_pc_to_prefix@
libdir=${prefix}/@CMAKE_INSTALL_LIBDIR@
includedir=${prefix}/@CMAKE_INSTALL_INCLUDEDIR@

Name: cgikit
Description: C++20 library for CGI programs (RFC 3875): requests, forms, uploads, cookies, responses
Version: @PROJECT_VERSION@
Requires: nlohmann_json >= 3
Cflags: -I${includedir}
Libs: -L${libdir} -lcgikit
]=])
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/cgikit.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
