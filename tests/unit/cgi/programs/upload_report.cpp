// A test CGI program: stores uploads the library's way (memory / temp file) and reports, as JSON,
// where each one ended up, its size and SHA-256 (read back through Upload::open), and how many
// entries the temp directory had while the handler ran. With SAVE_DIR set, it also saves each
// upload there under its safe_filename(). Limits come from the environment (TEST_* variables).
#include <cgikit/cgikit.hpp>
#include <cstdlib>
#include <filesystem>
#include <istream>
#include <nlohmann/json.hpp>
#include <string>

namespace {

std::size_t env_size(const char* name, std::size_t fallback) {
    const char* value = std::getenv(name);
    return value != nullptr ? std::strtoull(value, nullptr, 10) : fallback;
}

std::string storage_name(cgikit::Upload::Storage storage) {
    switch (storage) {
        case cgikit::Upload::Storage::memory:
            return "memory";
        case cgikit::Upload::Storage::file:
            return "file";
        case cgikit::Upload::Storage::sink:
            return "sink";
    }
    return "?";
}

}  // namespace

int main() {
    cgikit::RunOptions options;
    options.request.limits.memory_threshold_bytes =
        env_size("TEST_THRESHOLD", options.request.limits.memory_threshold_bytes);
    options.request.limits.max_file_bytes =
        env_size("TEST_MAX_FILE", options.request.limits.max_file_bytes);
    options.request.limits.max_body_bytes =
        env_size("TEST_MAX_BODY", options.request.limits.max_body_bytes);
    options.request.upload_memory_budget_bytes =
        env_size("TEST_BUDGET", options.request.upload_memory_budget_bytes);

    return cgikit::run(
        [](cgikit::Request& request, cgikit::Response& response) {
            nlohmann::json files = nlohmann::json::array();
            const char* save_dir = std::getenv("SAVE_DIR");
            for (const cgikit::Upload& upload : request.files()) {
                cgikit::Sha256 hash;
                auto stream = upload.open();
                char buffer[4096];
                while (stream->read(buffer, sizeof buffer) || stream->gcount() > 0) {
                    hash.update(buffer, static_cast<std::size_t>(stream->gcount()));
                }
                nlohmann::json entry = {{"field", upload.field_name()},
                                        {"storage", storage_name(upload.storage())},
                                        {"size", upload.size()},
                                        {"sha256", hash.finish_hex()},
                                        {"safe_filename", upload.safe_filename()}};
                if (save_dir != nullptr) {
                    const std::string path = std::string(save_dir) + "/" + upload.safe_filename();
                    const cgikit::Error error = upload.save_as(path);
                    entry["saved"] = error ? error.message : "ok";
                }
                files.push_back(std::move(entry));
            }
            std::size_t temp_entries = 0;
            for (const auto& entry : std::filesystem::directory_iterator(std::getenv("TMPDIR"))) {
                (void)entry;
                ++temp_entries;
            }
            response.set_json({{"files", files}, {"temp_entries_during_run", temp_entries}});
        },
        options);
}
