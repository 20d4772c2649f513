#pragma once
// Config: everything cgikitd is told, from three layers: built-in defaults (conf/cgikitd.json,
// embedded at build time), a JSON config file (--config), then command-line flags. Relative paths
// are resolved against the working directory at startup. Errors throw ConfigError naming the key or
// flag; main() turns that into one message and exit code 2 (startup is the only place exceptions
// are used).
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "handlers/cgi_settings.hpp"
#include "http/request_parser.hpp"

namespace cgikit {

class ConfigError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Timeouts {
    std::chrono::milliseconds header_read{10'000};     // slow clients cannot hold a worker
    std::chrono::milliseconds keep_alive{5'000};       // idle persistent connections are closed
    std::chrono::milliseconds send{30'000};            // a client that stops reading is dropped
    std::chrono::milliseconds shutdown_grace{10'000};  // in-flight requests at SIGTERM
};

struct Config {
    std::vector<std::string> listen{"127.0.0.1:8080"};
    unsigned workers = 0;  // 0 = one per core
    std::string root = "www";
    std::vector<std::string> index_files{"index.html"};
    std::string server_name = "localhost";
    std::string user = "nobody";  // switched to when started as root
    std::string mime_types_file = "/etc/mime.types";
    std::string default_type = "application/octet-stream";
    // The charset parameter of text types (mime.charset); empty: none ("off" in the config).
    std::string mime_charset = "utf-8";
    http::ParserLimits parser_limits;
    // Open connections per worker; beyond it the oldest idle keep-alive connection is closed.
    std::size_t max_connections = 10'000;
    Timeouts timeouts;
    std::string access_log = "-";  // path, "-" (stdout) or "off"
    std::string error_log = "-";   // path or "-" (stderr)
    handlers::CgiSettings cgi;
};

// The outcome of reading the command line.
struct CommandLine {
    Config config;
    enum class Action { Serve, CheckConfig, Version, Help } action = Action::Serve;
};

// Reads the file --config names: its text, or ConfigError when it cannot be read.
using ConfigFileReader = std::function<std::string(const std::string& path)>;

// Parses argv; throws ConfigError on any bad flag or config value. The order is startup's: the
// built-in defaults, the --config file, the flags, then the checks that need every layer (one
// listen address given twice) and relative paths made absolute.
CommandLine parse_command_line(int argc, const char* const* argv);
// Same, with --config's file read by `read_config_file` (the config fuzz target reads no file).
CommandLine parse_command_line(int argc, const char* const* argv,
                               const ConfigFileReader& read_config_file);

// Applies a JSON document (text) over `config`; `origin` names it in error messages.
void apply_json_config(Config& config, const std::string& json_text, const std::string& origin);

// The defaults compiled in from conf/cgikitd.json.
Config default_config();

std::string usage_text();

}  // namespace cgikit
