// Fuzz target for the configuration as a real startup reads it: parse_command_line() applies the
// built-in defaults, the --config file, the command-line flags over it, then the checks that need
// every layer (finalise: one listen address given twice) and makes relative paths absolute.
// Whatever the input, it returns a CommandLine or throws ConfigError (any other exception escapes
// and libFuzzer reports it); a Config it returns satisfies what the server assumes of one.
//
// Nothing is bound, opened or created: the config file's text comes from the input (no file is
// read), and Server::check(), which opens the root and the log files, is not called.
//
// Input layout: the config file's text, then optionally a NUL byte and command-line arguments
// separated by NUL bytes (JSON text cannot hold a raw NUL, so the split takes nothing from it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "handlers/mime_types.hpp"
#include "net/socket_address.hpp"

namespace {

// Startup sees a handful of flags; more only slow each run down.
constexpr std::size_t kMaxArguments = 16;

void require(bool condition) {
    if (!condition) std::abort();
}

bool is_absolute(const std::string& path) {
    return !path.empty() && path.front() == '/';
}

void check_config(const cgikit::Config& config) {
    require(!config.listen.empty());
    std::vector<std::string> bound;  // canonical addresses with a fixed port
    for (const auto& text : config.listen) {
        auto address = cgikit::net::SocketAddress::parse(text);
        require(address.has_value());
        if (address->port() == 0) continue;
        std::string canonical = address->to_string();
        for (const auto& seen : bound)
            require(seen != canonical);  // finalise refuses an address given twice
        bound.push_back(std::move(canonical));
    }
    require(config.workers <= 1024);
    require(config.root.empty() || is_absolute(config.root));
    require(config.access_log == "-" || config.access_log == "off" || config.access_log.empty() ||
            is_absolute(config.access_log));
    require(config.error_log != "off");
    require(config.error_log == "-" || config.error_log.empty() || is_absolute(config.error_log));
    require(config.mime_charset.empty() ||
            cgikit::handlers::MimeTypes::is_charset_name(config.mime_charset));
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
        require(is_absolute(mapping.directory));
    }
    require(config.cgi.spool_directory.empty() || is_absolute(config.cgi.spool_directory));
    for (const auto& extension : config.cgi.extensions) {
        require(extension.size() >= 2 && extension.front() == '.');
    }
    for (const auto& [name, value] : config.cgi.set_environment) {
        require(!name.empty() && name.find('=') == std::string::npos);
        require(name.find('\0') == std::string::npos);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const std::size_t nul = input.find('\0');
    const std::string config_text(input.substr(0, nul));

    std::vector<std::string> arguments{"cgikitd", "--config", "fuzz.json"};
    if (nul != std::string_view::npos) {
        std::string_view rest = input.substr(nul + 1);
        while (arguments.size() < 3 + kMaxArguments) {
            const std::size_t end = rest.find('\0');
            arguments.emplace_back(rest.substr(0, end));
            if (end == std::string_view::npos) break;
            rest.remove_prefix(end + 1);
        }
    }
    std::vector<const char*> argv;
    for (const auto& argument : arguments)
        argv.push_back(argument.c_str());
    argv.push_back(nullptr);

    cgikit::CommandLine command_line;
    try {
        // Every --config the arguments name reads the same text.
        command_line = cgikit::parse_command_line(static_cast<int>(arguments.size()), argv.data(),
                                                  [&](const std::string&) { return config_text; });
    } catch (const cgikit::ConfigError& error) {
        require(error.what()[0] != '\0');  // a message for the user
        return 0;
    }
    using Action = cgikit::CommandLine::Action;
    if (command_line.action == Action::Serve || command_line.action == Action::CheckConfig) {
        check_config(command_line.config);
    }
    return 0;
}
