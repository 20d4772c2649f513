// hello: the smallest program on libcgikit, and the CGI benchmark script. It prints a text/plain
// greeting and does nothing else: no stdin, no iostreams, one write(2).
#include <cgikit/response.hpp>

int main() {
    cgikit::Response response;
    response.write("Hello, world!\n");
    return response.finish() ? 0 : 1;
}
