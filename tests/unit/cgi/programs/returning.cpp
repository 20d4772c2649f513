// A test CGI program whose handler returns its Response instead of filling one.
#include <cgikit/cgikit.hpp>

int main() {
    return cgikit::run([](cgikit::Request& request) {
        cgikit::Response response;
        (void)response.set_status(201);
        (void)response.set_header("X-Method", request.method());
        response.write("made\n");
        return response;
    });
}
