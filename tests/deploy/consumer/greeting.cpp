// A user's own CGI program on the installed libcgikit: greets ?name=, HTML-escaped.
#include <cgikit/cgikit.hpp>

int main() {
    return cgikit::run([](cgikit::Request& request, cgikit::Response& response) {
        const std::string name = request.get_text("name").value_or("world");
        response.set_body("text/html; charset=utf-8",
                          "<p>Hello, " + cgikit::escape_html(name) + "!</p>\n");
    });
}
