// form_dump: answers any GET or POST with what libcgikit decoded from it, as JSON. Other tools
// (integration tests, the Apache comparison) rely on this exact contract:
//
//   {"method": "...", "query": [[name, value], ...], "form": [[name, value], ...],
//    "files": [{"field": "...", "filename": "...", "content_type": "...", "size": N,
//               "sha256": "hex"}, ...],
//    "cookies": [[name, value], ...], "json": <the parsed JSON body, or null>}
//
// in request order, strings as UTF-8 (invalid bytes replaced by U+FFFD); malformed or over-limit
// input gets the library's status (400/413/415) and {"error": "..."}. Uploaded files stream through
// SHA-256 and are never held whole in memory or written to disk.
#include <cgikit/cgikit.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

namespace {

using Json = nlohmann::ordered_json;  // keys in the order of the contract

class HashingSink final : public cgikit::UploadSink {
  public:
    cgikit::Error write(std::string_view chunk) override {
        hash_.update(chunk);
        return {};
    }
    cgikit::Error finish() override {
        hex_ = hash_.finish_hex();
        return {};
    }
    const std::string& hex() const noexcept { return hex_; }

  private:
    cgikit::Sha256 hash_;
    std::string hex_;
};

Json pairs(const cgikit::Params& params) {
    Json list = Json::array();
    for (const auto& [name, value] : params) {
        list.push_back(Json::array({cgikit::to_valid_utf8(name), cgikit::to_valid_utf8(value)}));
    }
    return list;
}

void dump(cgikit::Request& request, cgikit::Response& response) {
    Json out = Json::object();
    out["method"] = cgikit::to_valid_utf8(request.method());
    out["query"] = pairs(request.query());
    out["form"] = pairs(request.form());
    Json files = Json::array();
    for (const cgikit::Upload& upload : request.files()) {
        const auto* sink = static_cast<const HashingSink*>(upload.sink());
        files.push_back(Json{
            {"field", cgikit::to_valid_utf8(upload.field_name())},
            {"filename", cgikit::to_valid_utf8(upload.filename())},
            {"content_type", cgikit::to_valid_utf8(upload.content_type())},
            {"size", upload.size()},
            {"sha256", sink != nullptr ? sink->hex() : std::string()},
        });
    }
    out["files"] = std::move(files);
    out["cookies"] = pairs(request.cookies());
    out["json"] = request.has_json() ? Json(request.json()) : Json(nullptr);
    response.set_body("application/json",
                      out.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
}

}  // namespace

int main() {
    cgikit::RunOptions options;
    options.request.upload_sink = [](const cgikit::PartHeaders&) {
        return std::make_unique<HashingSink>();
    };
    options.render_error = [](int status, std::string_view message, cgikit::Response& response) {
        const std::string text(message.empty() ? cgikit::reason_phrase(status) : message);
        const Json body = {{"error", cgikit::to_valid_utf8(text)}};
        response.set_body("application/json",
                          body.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n");
    };
    return cgikit::run(dump, options);
}
