#include "handlers/error_page.hpp"

#include <string>

#include "http/status.hpp"

namespace cgikit::handlers {

http::Response error_response(int status) {
    http::Response response;
    response.status = status;
    if (http::status_forbids_content(status)) return response;  // 1xx, 204, 205, 304
    std::string title = std::to_string(status) + " " + std::string(http::reason_phrase(status));
    response.headers.add("Content-Type", "text/html; charset=utf-8");
    response.body = "<!DOCTYPE html>\n<html><head><title>" + title + "</title></head><body><h1>" +
                    title + "</h1></body></html>\n";
    return response;
}

}  // namespace cgikit::handlers
