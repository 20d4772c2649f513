#include "raw_request.hpp"

namespace cgikit::test {

std::string get(const std::string& target, const std::string& extra_headers,
                const std::string& version) {
    return "GET " + target + " " + version + "\r\nHost: test\r\n" + extra_headers + "\r\n";
}

std::string post(const std::string& target, const std::string& body,
                 const std::string& extra_headers) {
    return "POST " + target +
           " HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra_headers + "\r\n" + body;
}

}  // namespace cgikit::test
