// env: the CGI environment the server handed this program (RFC 3875 §4.1), as an HTML table, and
// the request headers as libcgikit rebuilds them from the HTTP_* variables. Every name and value
// is escaped: a request header `X-Test: <b>` arrives as HTTP_X_TEST=<b> and must not become markup.
#include <cgikit/cgikit.hpp>

#include "page.hpp"

namespace {

void append_row(std::string& html, std::string_view name, std::string_view value) {
    html += "<tr><th>";
    cgikit::append_escaped_html(html, cgikit::to_valid_utf8(name));
    html += "</th><td>";
    cgikit::append_escaped_html(html, cgikit::to_valid_utf8(value));
    html += "</td></tr>\n";
}

void show_environment(cgikit::Request& request, cgikit::Response& response) {
    std::string html = examples::page_start("CGI environment");
    html += "<p>What the server set for this request of <code>";
    cgikit::append_escaped_html(html, request.method());
    html += "</code> (sorted by name).</p>\n<table id=\"environment\">\n";
    for (const auto& [name, value] : request.environment()) {
        append_row(html, name, value);
    }
    html += "</table>\n<h2>Request headers</h2>\n<table id=\"headers\">\n";
    for (const auto& [name, value] : request.headers()) {
        append_row(html, name, value);
    }
    html += "</table>\n";
    html += examples::page_end();
    response.set_body("text/html; charset=utf-8", std::move(html));
}

}  // namespace

int main() {
    return cgikit::run(show_environment);
}
