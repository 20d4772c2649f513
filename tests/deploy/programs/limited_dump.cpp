// A CGI program for the deployment tests: what libcgikit read from the request, in brief, with a
// body limit small enough to cross in a test (max_body_bytes 4096):
//
//   {"content_length": N or null, "body_bytes": N, "form": [[name, value], ...],
//    "files": [{"field": "...", "size": N}, ...]}
//
// A request the library refused gets its status and {"error": "..."}.
#include <cgikit/cgikit.hpp>
#include <nlohmann/json.hpp>

int main() {
    cgikit::RunOptions options;
    options.request.limits.max_body_bytes = 4096;
    options.render_error = [](int, std::string_view message, cgikit::Response& response) {
        response.set_json({{"error", message}});
    };
    return cgikit::run(
        [](cgikit::Request& request, cgikit::Response& response) {
            nlohmann::json form = nlohmann::json::array();
            for (const auto& [name, value] : request.form()) {
                form.push_back({name, value});
            }
            nlohmann::json files = nlohmann::json::array();
            for (const cgikit::Upload& upload : request.files()) {
                files.push_back({{"field", upload.field_name()}, {"size", upload.size()}});
            }
            const auto length = request.content_length();
            response.set_json({{"content_length", length ? nlohmann::json(*length) : nullptr},
                               {"body_bytes", request.body().size()},
                               {"form", form},
                               {"files", files}});
        },
        options);
}
