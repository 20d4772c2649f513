// Fuzz target for apply_json_config: whatever the text, it either applies or throws ConfigError
// (any other exception escapes and libFuzzer reports it). What it applies satisfies what the rest
// of the server assumes of a Config.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.hpp"

namespace {

void require(bool condition) {
    if (!condition) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    cgikit::Config config = cgikit::default_config();
    try {
        cgikit::apply_json_config(config, text, "fuzz.json");
    } catch (const cgikit::ConfigError& error) {
        require(error.what()[0] != '\0');  // a message for the user
        return 0;
    }
    require(config.parser_limits.max_request_line_bytes >= 1);
    require(config.parser_limits.max_header_bytes >= 1);
    require(config.parser_limits.max_header_fields >= 1);
    require(config.max_connections >= 1);
    require(config.timeouts.header_read.count() >= 1);
    require(config.timeouts.keep_alive.count() >= 1);
    require(config.timeouts.send.count() >= 1);
    require(config.timeouts.shutdown_grace.count() >= 1);
    require(config.cgi.no_output_timeout.count() >= 1);
    require(config.cgi.max_children >= 1);
    for (const auto& mapping : config.cgi.mappings) {
        require(mapping.prefix.size() >= 1);
        require(mapping.prefix.front() == '/' && mapping.prefix.back() == '/');
        require(!mapping.directory.empty());
    }
    for (const auto& extension : config.cgi.extensions) {
        require(extension.size() >= 2 && extension.front() == '.');
    }
    for (const auto& [name, value] : config.cgi.set_environment) {
        require(!name.empty() && name.find('=') == std::string::npos);
        require(name.find('\0') == std::string::npos);
    }
    return 0;
}
