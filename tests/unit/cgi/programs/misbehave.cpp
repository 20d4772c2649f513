// A test CGI program that misbehaves on demand (QUERY_STRING mode=...), to check that run() turns
// every failure into a proper response and an exit code instead of a crash.
#include <cgikit/cgikit.hpp>
#include <memory>
#include <stdexcept>

int main() {
    cgikit::RunOptions options;
    // A file part named "explode" makes the upload sink throw while the body is being read.
    options.request.upload_sink =
        [](const cgikit::PartHeaders& part) -> std::unique_ptr<cgikit::UploadSink> {
        if (part.name == "explode") throw std::runtime_error("sink exploded");
        return nullptr;
    };
    return cgikit::run(
        [](cgikit::Request& request, cgikit::Response& response) {
            const std::string_view mode = request.query().get("mode").value_or("");
            if (mode == "throw") throw std::runtime_error("secret detail");
            if (mode == "throw_int") throw 42;
            if (mode == "http_error") throw cgikit::HttpError(404, "no such entry");
            if (mode == "stream_then_throw") {
                response.start_streaming();
                response.write("partial");
                throw std::runtime_error("failed mid-stream");
            }
            if (mode == "injection") {
                const cgikit::Error refused =
                    response.set_header("X-Test", "a\r\nSet-Cookie: evil=1");
                response.write(refused ? "refused\n" : "accepted\n");
                return;
            }
            if (mode == "stream") {
                response.set_content_type("text/plain");
                response.start_streaming();
                for (int i = 0; i < 3; ++i)
                    response.write("chunk\n");
                return;
            }
            if (mode == "redirect") {
                (void)response.redirect("/elsewhere?a=1&b=2", 303);
                return;
            }
            response.write("fine\n");
        },
        options);
}
