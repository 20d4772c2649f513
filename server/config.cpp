#include "config.hpp"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "default_config.hpp"
#include "handlers/cgi_environment.hpp"
#include "handlers/mime_types.hpp"
#include "http/headers.hpp"
#include "net/socket_address.hpp"

namespace cgikit {

namespace {

using nlohmann::json;

// Worker threads: more than this is a typo, not a machine (each has its own epoll and listeners).
constexpr std::uint64_t kMaxWorkers = 1024;

[[noreturn]] void config_error(const std::string& where, const std::string& what) {
    throw ConfigError(where + ": " + what);
}

// Walks one JSON object, handing each known key to a reader and refusing unknown keys, so that a
// typo in a config file is an error that names the key rather than a silently ignored setting.
class ObjectReader {
  public:
    ObjectReader(const json& object, std::string path) : object_(object), path_(std::move(path)) {
        if (!object_.is_object())
            config_error(path_.empty() ? "config" : path_, "expected an object");
    }

    template <typename Fn>
    void key(const std::string& name, Fn&& read) {
        auto it = object_.find(name);
        if (it == object_.end()) return;
        seen_.push_back(name);
        read(*it, path_.empty() ? name : path_ + "." + name);
    }

    void reject_unknown() const {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (std::find(seen_.begin(), seen_.end(), it.key()) == seen_.end()) {
                config_error(path_.empty() ? it.key() : path_ + "." + it.key(), "unknown key");
            }
        }
    }

  private:
    const json& object_;
    std::string path_;
    std::vector<std::string> seen_;
};

std::string read_string(const json& v, const std::string& where) {
    if (!v.is_string()) config_error(where, "expected a string");
    return v.get<std::string>();
}

bool read_bool(const json& v, const std::string& where) {
    if (!v.is_boolean()) config_error(where, "expected true or false");
    return v.get<bool>();
}

std::uint64_t read_count(const json& v, const std::string& where) {
    if (!v.is_number_unsigned() && !(v.is_number_integer() && v.get<std::int64_t>() >= 0)) {
        config_error(where, "expected a non-negative integer");
    }
    return v.get<std::uint64_t>();
}

std::uint64_t read_positive(const json& v, const std::string& where) {
    auto n = read_count(v, where);
    if (n == 0) config_error(where, "must be at least 1");
    return n;
}

// Durations are written in seconds, fractions allowed (0.25 = 250 ms).
std::chrono::milliseconds read_seconds(const json& v, const std::string& where) {
    if (!v.is_number()) config_error(where, "expected a number of seconds");
    double seconds = v.get<double>();
    if (!(seconds > 0) || seconds > 86400 * 365) config_error(where, "must be > 0 seconds");
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::ceil(seconds * 1000)));
}

std::vector<std::string> read_string_list(const json& v, const std::string& where) {
    if (!v.is_array()) config_error(where, "expected an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
        out.push_back(read_string(v[i], where + "[" + std::to_string(i) + "]"));
    }
    return out;
}

// "off" (any case, as Apache's AddDefaultCharset Off): no charset parameter, stored as "". Else a
// charset name that can go into "; charset=..." as it is: a header field value cannot be
// allowed to carry "utf-8\r\nSet-Cookie: x" or "utf-8; x=y" from a config typo.
std::string read_charset(const json& v, const std::string& where) {
    std::string charset = read_string(v, where);
    if (http::iequals(charset, "off")) return {};
    if (!handlers::MimeTypes::is_charset_name(charset)) {
        config_error(where, "'" + charset + "' is not a charset name (a token of at most " +
                                std::to_string(handlers::MimeTypes::kMaxCharsetLength) +
                                " characters, e.g. \"utf-8\" or \"iso-8859-1\") nor \"off\"");
    }
    return charset;
}

void check_listen_address(const std::string& text, const std::string& where) {
    if (!net::SocketAddress::parse(text)) {
        config_error(where,
                     "'" + text + "' is not ADDRESS:PORT (e.g. 127.0.0.1:8080 or [::1]:8080)");
    }
}

handlers::CgiMapping make_mapping(std::string prefix, std::string dir, const std::string& where) {
    if (prefix.empty() || prefix.front() != '/') config_error(where, "prefix must start with '/'");
    if (prefix.back() != '/') prefix += '/';
    if (dir.empty()) config_error(where, "directory is empty");
    while (dir.size() > 1 && dir.back() == '/')
        dir.pop_back();
    return {std::move(prefix), std::move(dir)};
}

void read_cgi(handlers::CgiSettings& cgi, const json& v, const std::string& path) {
    ObjectReader r(v, path);
    r.key("bin", [&](const json& list, const std::string& where) {
        if (!list.is_array()) config_error(where, "expected an array of {\"prefix\", \"dir\"}");
        cgi.mappings.clear();
        for (std::size_t i = 0; i < list.size(); ++i) {
            std::string item_path = where + "[" + std::to_string(i) + "]";
            ObjectReader item(list[i], item_path);
            std::string prefix, dir;
            item.key("prefix",
                     [&](const json& x, const std::string& w) { prefix = read_string(x, w); });
            item.key("dir", [&](const json& x, const std::string& w) { dir = read_string(x, w); });
            item.reject_unknown();
            cgi.mappings.push_back(make_mapping(prefix, dir, item_path));
        }
    });
    r.key("extensions", [&](const json& x, const std::string& w) {
        cgi.extensions = read_string_list(x, w);
        for (const auto& ext : cgi.extensions) {
            if (ext.size() < 2 || ext.front() != '.' || ext.find('/') != std::string::npos) {
                config_error(w, "'" + ext + "' is not an extension like \".cgi\"");
            }
        }
    });
    r.key("timeout",
          [&](const json& x, const std::string& w) { cgi.no_output_timeout = read_seconds(x, w); });
    r.key("kill_grace",
          [&](const json& x, const std::string& w) { cgi.kill_grace = read_seconds(x, w); });
    r.key("max_children",
          [&](const json& x, const std::string& w) { cgi.max_children = read_positive(x, w); });
    r.key("queue_timeout",
          [&](const json& x, const std::string& w) { cgi.queue_timeout = read_seconds(x, w); });
    r.key("spool_memory_bytes",
          [&](const json& x, const std::string& w) { cgi.spool_memory_bytes = read_count(x, w); });
    r.key("spool_dir",
          [&](const json& x, const std::string& w) { cgi.spool_directory = read_string(x, w); });
    r.key("pass_authorization",
          [&](const json& x, const std::string& w) { cgi.pass_authorization = read_bool(x, w); });
    r.key("env", [&](const json& x, const std::string& w) {
        if (!x.is_object()) config_error(w, "expected an object of NAME: value");
        cgi.set_environment.clear();
        for (auto it = x.begin(); it != x.end(); ++it) {
            if (!handlers::cgi_environment_name_is_configurable(it.key())) {
                config_error(w + "." + it.key(),
                             "not a variable a script may be given (reserved or invalid name)");
            }
            cgi.set_environment.emplace_back(it.key(), read_string(it.value(), w + "." + it.key()));
        }
    });
    r.key("pass_env", [&](const json& x, const std::string& w) {
        cgi.pass_environment = read_string_list(x, w);
        for (const auto& name : cgi.pass_environment) {
            if (!handlers::cgi_environment_name_is_configurable(name)) {
                config_error(w, "'" + name + "' is not a variable a script may be given");
            }
        }
    });
    r.key("path", [&](const json& x, const std::string& w) { cgi.path = read_string(x, w); });
    r.key("max_redirects", [&](const json& x, const std::string& w) {
        const std::uint64_t n = read_count(x, w);
        // Stored as an int: a larger count would wrap to a different one (2^32 to 0).
        if (n > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
            config_error(w, "expected a number from 0 to 2147483647");
        cgi.max_internal_redirects = static_cast<int>(n);
    });
    r.key("rlimits", [&](const json& x, const std::string& w) {
        ObjectReader lim(x, w);
        auto& rl = cgi.resource_limits;
        lim.key("cpu_seconds",
                [&](const json& y, const std::string& p) { rl.cpu_seconds = read_count(y, p); });
        lim.key("address_space_bytes", [&](const json& y, const std::string& p) {
            rl.address_space_bytes = read_count(y, p);
        });
        lim.key("processes",
                [&](const json& y, const std::string& p) { rl.max_processes = read_count(y, p); });
        lim.key("open_files",
                [&](const json& y, const std::string& p) { rl.max_open_files = read_count(y, p); });
        lim.reject_unknown();
    });
    r.key("output", [&](const json& x, const std::string& w) {
        ObjectReader out(x, w);
        out.key("max_header_line_bytes", [&](const json& y, const std::string& p) {
            cgi.max_header_line_bytes = read_positive(y, p);
        });
        out.key("max_header_bytes", [&](const json& y, const std::string& p) {
            cgi.max_header_bytes = read_positive(y, p);
        });
        out.key("max_header_fields", [&](const json& y, const std::string& p) {
            cgi.max_header_fields = read_positive(y, p);
        });
        out.key("max_stderr_line_bytes", [&](const json& y, const std::string& p) {
            cgi.max_stderr_line_bytes = read_positive(y, p);
        });
        out.reject_unknown();
    });
    r.reject_unknown();
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw ConfigError("--config: cannot read '" + path + "'");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::string absolute_path(const std::string& path) {
    if (path.empty()) return path;
    std::error_code ec;
    auto abs = std::filesystem::absolute(path, ec);
    if (ec) return path;
    std::string out = abs.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/')
        out.pop_back();
    return out;
}

void finalise(Config& c) {
    if (c.listen.empty()) throw ConfigError("listen: at least one address is needed");
    // The same address twice could only fail to bind at startup: say so here, where
    // --check-config sees it (Apache: "Cannot define multiple Listeners on the same IP:port";
    // nginx: "duplicate listen"). Port 0 asks for a fresh free port each time.
    std::vector<std::string> seen;
    for (const auto& text : c.listen) {
        auto address = net::SocketAddress::parse(text);
        if (!address || address->port() == 0) continue;
        std::string canonical = address->to_string();
        if (std::find(seen.begin(), seen.end(), canonical) != seen.end())
            throw ConfigError("listen: " + canonical + " is given twice");
        seen.push_back(std::move(canonical));
    }
    c.root = absolute_path(c.root);
    for (auto& m : c.cgi.mappings)
        m.directory = absolute_path(m.directory);
    c.cgi.spool_directory = absolute_path(c.cgi.spool_directory);
    if (c.access_log != "-" && c.access_log != "off") c.access_log = absolute_path(c.access_log);
    if (c.error_log != "-") c.error_log = absolute_path(c.error_log);
}

std::string flag_value(int argc, const char* const* argv, int& i, std::string_view flag,
                       std::string_view arg) {
    if (arg.size() > flag.size() && arg[flag.size()] == '=')
        return std::string(arg.substr(flag.size() + 1));
    if (i + 1 >= argc) throw ConfigError(std::string(flag) + ": needs a value");
    return argv[++i];
}

}  // namespace

void apply_json_config(Config& c, const std::string& json_text, const std::string& origin) {
    json doc = json::parse(json_text, nullptr, false);
    if (doc.is_discarded()) throw ConfigError(origin + ": not valid JSON");
    ObjectReader r(doc, "");
    r.key("listen", [&](const json& x, const std::string& w) {
        c.listen = read_string_list(x, w);
        for (std::size_t i = 0; i < c.listen.size(); ++i) {
            check_listen_address(c.listen[i], w + "[" + std::to_string(i) + "]");
        }
    });
    r.key("workers", [&](const json& x, const std::string& w) {
        auto n = read_count(x, w);
        if (n > kMaxWorkers) config_error(w, "expected a number from 0 (one per core) to 1024");
        c.workers = static_cast<unsigned>(n);
    });
    r.key("root", [&](const json& x, const std::string& w) { c.root = read_string(x, w); });
    r.key("index",
          [&](const json& x, const std::string& w) { c.index_files = read_string_list(x, w); });
    r.key("server_name",
          [&](const json& x, const std::string& w) { c.server_name = read_string(x, w); });
    r.key("user", [&](const json& x, const std::string& w) { c.user = read_string(x, w); });
    r.key("mime", [&](const json& x, const std::string& w) {
        ObjectReader m(x, w);
        m.key("types_file",
              [&](const json& y, const std::string& p) { c.mime_types_file = read_string(y, p); });
        m.key("default_type",
              [&](const json& y, const std::string& p) { c.default_type = read_string(y, p); });
        m.key("charset",
              [&](const json& y, const std::string& p) { c.mime_charset = read_charset(y, p); });
        m.reject_unknown();
    });
    r.key("limits", [&](const json& x, const std::string& w) {
        ObjectReader l(x, w);
        auto& pl = c.parser_limits;
        l.key("request_line_bytes", [&](const json& y, const std::string& p) {
            pl.max_request_line_bytes = read_positive(y, p);
        });
        l.key("header_bytes", [&](const json& y, const std::string& p) {
            pl.max_header_bytes = read_positive(y, p);
        });
        l.key("header_fields", [&](const json& y, const std::string& p) {
            pl.max_header_fields = read_positive(y, p);
        });
        l.key("body_bytes",
              [&](const json& y, const std::string& p) { pl.max_body_bytes = read_count(y, p); });
        l.key("connections", [&](const json& y, const std::string& p) {
            c.max_connections = read_positive(y, p);
        });
        l.reject_unknown();
    });
    r.key("timeouts", [&](const json& x, const std::string& w) {
        ObjectReader t(x, w);
        t.key("header_read", [&](const json& y, const std::string& p) {
            c.timeouts.header_read = read_seconds(y, p);
        });
        t.key("keep_alive", [&](const json& y, const std::string& p) {
            c.timeouts.keep_alive = read_seconds(y, p);
        });
        t.key("send",
              [&](const json& y, const std::string& p) { c.timeouts.send = read_seconds(y, p); });
        t.key("shutdown_grace", [&](const json& y, const std::string& p) {
            c.timeouts.shutdown_grace = read_seconds(y, p);
        });
        t.reject_unknown();
    });
    r.key("logs", [&](const json& x, const std::string& w) {
        ObjectReader l(x, w);
        l.key("access",
              [&](const json& y, const std::string& p) { c.access_log = read_string(y, p); });
        l.key("error", [&](const json& y, const std::string& p) {
            // Not "off": errors must go somewhere (and "off" would be a file named "off").
            c.error_log = read_string(y, p);
            if (c.error_log == "off") config_error(p, "cannot be off (use a path or -)");
        });
        l.reject_unknown();
    });
    r.key("cgi", [&](const json& x, const std::string& w) { read_cgi(c.cgi, x, w); });
    r.reject_unknown();
}

Config default_config() {
    Config c;
    apply_json_config(c, kDefaultConfigJson, "built-in defaults");
    return c;
}

std::string usage_text() {
    return "usage: cgikitd [--config FILE] [--listen ADDR:PORT]... [--root DIR]\n"
           "               [--cgi-bin PREFIX=DIR]... [--workers N]\n"
           "               [--access-log PATH|-|off] [--error-log PATH|-]\n"
           "               [--check-config] [--version] [--help]\n"
           "\n"
           "Serves static files from --root and runs CGI programs under each --cgi-bin prefix.\n"
           "Flags override the config file; without --config the built-in defaults apply\n"
           "(the same values as conf/cgikitd.json). Use 127.0.0.1:0 to bind a free port.\n";
}

CommandLine parse_command_line(int argc, const char* const* argv) {
    return parse_command_line(argc, argv, read_file);
}

CommandLine parse_command_line(int argc, const char* const* argv,
                               const ConfigFileReader& read_config_file) {
    CommandLine out;
    std::vector<std::string> listen, cgi_bins;
    std::string config_file, root, workers, access_log, error_log;
    bool have_workers = false, have_access = false, have_error = false;

    for (int i = 1; i < argc; ++i) {
        std::string_view arg = argv[i];
        auto is = [&](std::string_view flag) {
            return arg == flag || (arg.size() > flag.size() && arg.substr(0, flag.size()) == flag &&
                                   arg[flag.size()] == '=');
        };
        if (arg == "--help" || arg == "-h") {
            out.action = CommandLine::Action::Help;
        } else if (arg == "--version") {
            out.action = CommandLine::Action::Version;
        } else if (arg == "--check-config") {
            out.action = CommandLine::Action::CheckConfig;
        } else if (is("--config")) {
            config_file = flag_value(argc, argv, i, "--config", arg);
        } else if (is("--listen")) {
            listen.push_back(flag_value(argc, argv, i, "--listen", arg));
            check_listen_address(listen.back(), "--listen");
        } else if (is("--root")) {
            root = flag_value(argc, argv, i, "--root", arg);
            if (root.empty()) throw ConfigError("--root: needs a directory");
        } else if (is("--cgi-bin")) {
            cgi_bins.push_back(flag_value(argc, argv, i, "--cgi-bin", arg));
        } else if (is("--workers")) {
            workers = flag_value(argc, argv, i, "--workers", arg);
            have_workers = true;
        } else if (is("--access-log")) {
            access_log = flag_value(argc, argv, i, "--access-log", arg);
            have_access = true;
        } else if (is("--error-log")) {
            error_log = flag_value(argc, argv, i, "--error-log", arg);
            have_error = true;
        } else {
            throw ConfigError(std::string(arg) + ": unknown option (see --help)");
        }
    }
    if (out.action == CommandLine::Action::Help || out.action == CommandLine::Action::Version) {
        return out;
    }

    out.config = default_config();
    if (!config_file.empty()) {
        apply_json_config(out.config, read_config_file(config_file), config_file);
    }
    Config& c = out.config;
    if (!listen.empty()) c.listen = listen;
    if (!root.empty()) c.root = root;
    if (!cgi_bins.empty()) {
        c.cgi.mappings.clear();
        for (const auto& spec : cgi_bins) {
            auto eq = spec.find('=');
            if (eq == std::string::npos)
                throw ConfigError("--cgi-bin: expected PREFIX=DIR, got '" + spec + "'");
            c.cgi.mappings.push_back(
                make_mapping(spec.substr(0, eq), spec.substr(eq + 1), "--cgi-bin"));
        }
    }
    if (have_workers) {
        unsigned n = 0;
        auto [end, ec] = std::from_chars(workers.data(), workers.data() + workers.size(), n);
        if (ec != std::errc() || end != workers.data() + workers.size() || n > kMaxWorkers) {
            throw ConfigError("--workers: expected a number from 0 (one per core) to 1024");
        }
        c.workers = n;
    }
    if (have_access) c.access_log = access_log;
    if (have_error) {
        if (error_log == "off") throw ConfigError("--error-log: cannot be off (use a path or -)");
        c.error_log = error_log;
    }
    finalise(c);
    return out;
}

}  // namespace cgikit
