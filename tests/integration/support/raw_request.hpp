#pragma once
// Request heads as the exact bytes a test sends (RFC 9112 §3, §5): the Host every HTTP/1.1 request
// needs, `extra_headers` as complete field lines ("Name: value\r\n"), and the empty line.
#include <string>

namespace cgikit::test {

std::string get(const std::string& target, const std::string& extra_headers = "",
                const std::string& version = "HTTP/1.1");

// With a Content-Length that matches `body`, which follows the head.
std::string post(const std::string& target, const std::string& body,
                 const std::string& extra_headers = "");

}  // namespace cgikit::test
