// Config: built-in defaults are conf/cgikitd.json key for key; every key is read into its field;
// unknown keys and wrong types are errors that name the JSON path; command-line flags override
// the file and are checked as strictly.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "config.hpp"

using cgikit::apply_json_config;
using cgikit::CommandLine;
using cgikit::Config;
using cgikit::ConfigError;
using cgikit::default_config;
using cgikit::parse_command_line;
using nlohmann::json;
using namespace std::chrono_literals;

namespace {

namespace fs = std::filesystem;

json shipped_json() {
    std::ifstream in(std::string(CGIKIT_SOURCE_DIR) + "/conf/cgikitd.json");
    REQUIRE(in);
    std::stringstream text;
    text << in.rdbuf();
    return json::parse(text.str());
}

std::chrono::milliseconds seconds_of(const json& v) {
    return std::chrono::milliseconds(static_cast<std::int64_t>(v.get<double>() * 1000));
}

// The ConfigError message for applying `text`, or "" when it applied.
std::string json_error(const std::string& text) {
    Config c = default_config();
    try {
        apply_json_config(c, text, "test.json");
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

Config applied(const std::string& text) {
    Config c = default_config();
    apply_json_config(c, text, "test.json");
    return c;
}

// A temporary directory for config files, removed afterwards.
struct ScratchDir {
    fs::path path;
    ScratchDir() {
        std::string pattern = (fs::temp_directory_path() / "cgikit-config-XXXXXX").string();
        REQUIRE(::mkdtemp(pattern.data()) != nullptr);
        path = pattern;
    }
    ~ScratchDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string write(const std::string& name, const std::string& content) const {
        std::ofstream(path / name) << content;
        return (path / name).string();
    }
};

CommandLine parse(std::vector<std::string> args) {
    args.insert(args.begin(), "cgikitd");
    std::vector<const char*> argv;
    for (const auto& a : args)
        argv.push_back(a.c_str());
    return parse_command_line(static_cast<int>(argv.size()), argv.data());
}

std::string flag_error(std::vector<std::string> args) {
    try {
        parse(std::move(args));
    } catch (const ConfigError& e) {
        return e.what();
    }
    return "";
}

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// Every leaf path of a JSON document ("cgi.rlimits.cpu_seconds"; arrays count as leaves).
void leaf_paths(const json& v, const std::string& prefix, std::set<std::string>& out) {
    if (!v.is_object()) {
        out.insert(prefix);
        return;
    }
    for (auto it = v.begin(); it != v.end(); ++it)
        leaf_paths(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Defaults

TEST_CASE("built-in defaults are conf/cgikitd.json, key for key", "[config]") {
    const json j = shipped_json();
    const Config c = default_config();

    // Every key of the shipped file is checked below; a new key needs a line here.
    std::set<std::string> keys;
    leaf_paths(j, "", keys);
    const std::set<std::string> checked{"listen",
                                        "workers",
                                        "root",
                                        "index",
                                        "server_name",
                                        "user",
                                        "mime.types_file",
                                        "mime.default_type",
                                        "mime.charset",
                                        "limits.request_line_bytes",
                                        "limits.header_bytes",
                                        "limits.header_fields",
                                        "limits.body_bytes",
                                        "limits.connections",
                                        "timeouts.header_read",
                                        "timeouts.keep_alive",
                                        "timeouts.send",
                                        "timeouts.shutdown_grace",
                                        "logs.access",
                                        "logs.error",
                                        "cgi.bin",
                                        "cgi.extensions",
                                        "cgi.timeout",
                                        "cgi.kill_grace",
                                        "cgi.max_children",
                                        "cgi.queue_timeout",
                                        "cgi.spool_memory_bytes",
                                        "cgi.spool_dir",
                                        "cgi.pass_authorization",
                                        "cgi.env",
                                        "cgi.pass_env",
                                        "cgi.path",
                                        "cgi.max_redirects",
                                        "cgi.rlimits.cpu_seconds",
                                        "cgi.rlimits.address_space_bytes",
                                        "cgi.rlimits.processes",
                                        "cgi.rlimits.open_files",
                                        "cgi.output.max_header_line_bytes",
                                        "cgi.output.max_header_bytes",
                                        "cgi.output.max_header_fields",
                                        "cgi.output.max_stderr_line_bytes"};
    // cgi.env is an empty object, so it is no leaf of its own.
    std::set<std::string> expected = checked;
    if (j["cgi"]["env"].empty()) expected.erase("cgi.env");
    CHECK(keys == expected);

    CHECK(c.listen == j["listen"].get<std::vector<std::string>>());
    CHECK(c.workers == j["workers"].get<unsigned>());
    CHECK(c.root == j["root"].get<std::string>());
    CHECK(c.index_files == j["index"].get<std::vector<std::string>>());
    CHECK(c.server_name == j["server_name"].get<std::string>());
    CHECK(c.user == j["user"].get<std::string>());
    CHECK(c.mime_types_file == j["mime"]["types_file"].get<std::string>());
    CHECK(c.default_type == j["mime"]["default_type"].get<std::string>());
    CHECK(c.mime_charset == j["mime"]["charset"].get<std::string>());
    const json& limits = j["limits"];
    CHECK(c.parser_limits.max_request_line_bytes ==
          limits["request_line_bytes"].get<std::size_t>());
    CHECK(c.parser_limits.max_header_bytes == limits["header_bytes"].get<std::size_t>());
    CHECK(c.parser_limits.max_header_fields == limits["header_fields"].get<std::size_t>());
    CHECK(c.parser_limits.max_body_bytes == limits["body_bytes"].get<std::uint64_t>());
    CHECK(c.max_connections == limits["connections"].get<std::size_t>());
    const json& timeouts = j["timeouts"];
    CHECK(c.timeouts.header_read == seconds_of(timeouts["header_read"]));
    CHECK(c.timeouts.keep_alive == seconds_of(timeouts["keep_alive"]));
    CHECK(c.timeouts.send == seconds_of(timeouts["send"]));
    CHECK(c.timeouts.shutdown_grace == seconds_of(timeouts["shutdown_grace"]));
    CHECK(c.access_log == j["logs"]["access"].get<std::string>());
    CHECK(c.error_log == j["logs"]["error"].get<std::string>());

    const json& cgi = j["cgi"];
    REQUIRE(c.cgi.mappings.size() == cgi["bin"].size());
    for (std::size_t i = 0; i < c.cgi.mappings.size(); ++i) {
        CHECK(c.cgi.mappings[i].prefix == cgi["bin"][i]["prefix"].get<std::string>());
        CHECK(c.cgi.mappings[i].directory == cgi["bin"][i]["dir"].get<std::string>());
    }
    CHECK(c.cgi.extensions == cgi["extensions"].get<std::vector<std::string>>());
    CHECK(c.cgi.no_output_timeout == seconds_of(cgi["timeout"]));
    CHECK(c.cgi.kill_grace == seconds_of(cgi["kill_grace"]));
    CHECK(c.cgi.max_children == cgi["max_children"].get<std::size_t>());
    CHECK(c.cgi.queue_timeout == seconds_of(cgi["queue_timeout"]));
    CHECK(c.cgi.spool_memory_bytes == cgi["spool_memory_bytes"].get<std::size_t>());
    CHECK(c.cgi.spool_directory == cgi["spool_dir"].get<std::string>());
    CHECK(c.cgi.pass_authorization == cgi["pass_authorization"].get<bool>());
    CHECK(c.cgi.set_environment.size() == cgi["env"].size());
    CHECK(c.cgi.pass_environment == cgi["pass_env"].get<std::vector<std::string>>());
    CHECK(c.cgi.path == cgi["path"].get<std::string>());
    CHECK(c.cgi.max_internal_redirects == cgi["max_redirects"].get<int>());
    const json& rl = cgi["rlimits"];
    CHECK(c.cgi.resource_limits.cpu_seconds == rl["cpu_seconds"].get<std::uint64_t>());
    CHECK(c.cgi.resource_limits.address_space_bytes ==
          rl["address_space_bytes"].get<std::uint64_t>());
    CHECK(c.cgi.resource_limits.max_processes == rl["processes"].get<std::uint64_t>());
    CHECK(c.cgi.resource_limits.max_open_files == rl["open_files"].get<std::uint64_t>());
    const json& out = cgi["output"];
    CHECK(c.cgi.max_header_line_bytes == out["max_header_line_bytes"].get<std::size_t>());
    CHECK(c.cgi.max_header_bytes == out["max_header_bytes"].get<std::size_t>());
    CHECK(c.cgi.max_header_fields == out["max_header_fields"].get<std::size_t>());
    CHECK(c.cgi.max_stderr_line_bytes == out["max_stderr_line_bytes"].get<std::size_t>());
}

TEST_CASE("the defaults are the ones the issue names", "[config]") {
    const Config c = default_config();
    CHECK(c.listen == std::vector<std::string>{"127.0.0.1:8080"});
    CHECK(c.workers == 0);  // one per core
    CHECK(c.root == "www");
    CHECK(c.parser_limits.max_request_line_bytes == 8 * 1024);
    CHECK(c.parser_limits.max_header_bytes == 16 * 1024);
    CHECK(c.parser_limits.max_header_fields == 100);
    CHECK(c.cgi.mappings.size() == 1);
    CHECK(c.cgi.mappings.at(0).prefix == "/cgi-bin/");
}

// ------------------------------------------------------------------------------------------------
// Every key reaches its field

TEST_CASE("every JSON key sets its field", "[config]") {
    Config c = applied(R"({
        "listen": ["0.0.0.0:80", "[::]:8443"],
        "workers": 3,
        "root": "/srv/www",
        "index": ["index.htm", "default.html"],
        "server_name": "example.org",
        "user": "www-data",
        "mime": {"types_file": "/etc/other.types", "default_type": "text/plain",
                 "charset": "iso-8859-1"},
        "limits": {"request_line_bytes": 100, "header_bytes": 200, "header_fields": 7,
                   "body_bytes": 0, "connections": 9},
        "timeouts": {"header_read": 0.25, "keep_alive": 1, "send": 2.5, "shutdown_grace": 0.001},
        "logs": {"access": "off", "error": "/var/log/e.log"},
        "cgi": {
            "bin": [{"prefix": "/a", "dir": "/srv/a//"}, {"prefix": "/b/c/", "dir": "rel"}],
            "extensions": [".cgi", ".py"],
            "timeout": 4, "kill_grace": 0.5, "max_children": 3, "queue_timeout": 0.1,
            "spool_memory_bytes": 0, "spool_dir": "/var/tmp", "pass_authorization": true,
            "env": {"A": "1", "LANG": "C"}, "pass_env": ["TZ"], "path": "/bin",
            "max_redirects": 0,
            "rlimits": {"cpu_seconds": 1, "address_space_bytes": 2, "processes": 3,
                        "open_files": 4},
            "output": {"max_header_line_bytes": 11, "max_header_bytes": 12,
                       "max_header_fields": 13, "max_stderr_line_bytes": 14}
        }
    })");
    CHECK(c.listen == std::vector<std::string>{"0.0.0.0:80", "[::]:8443"});
    CHECK(c.workers == 3);
    CHECK(c.root == "/srv/www");
    CHECK(c.index_files == std::vector<std::string>{"index.htm", "default.html"});
    CHECK(c.server_name == "example.org");
    CHECK(c.user == "www-data");
    CHECK(c.mime_types_file == "/etc/other.types");
    CHECK(c.default_type == "text/plain");
    CHECK(c.mime_charset == "iso-8859-1");
    CHECK(c.parser_limits.max_request_line_bytes == 100);
    CHECK(c.parser_limits.max_header_bytes == 200);
    CHECK(c.parser_limits.max_header_fields == 7);
    CHECK(c.parser_limits.max_body_bytes == 0);
    CHECK(c.max_connections == 9);
    CHECK(c.timeouts.header_read == 250ms);
    CHECK(c.timeouts.keep_alive == 1000ms);
    CHECK(c.timeouts.send == 2500ms);
    CHECK(c.timeouts.shutdown_grace == 1ms);
    CHECK(c.access_log == "off");
    CHECK(c.error_log == "/var/log/e.log");
    REQUIRE(c.cgi.mappings.size() == 2);
    CHECK(c.cgi.mappings[0].prefix == "/a/");  // prefixes end with '/'
    CHECK(c.cgi.mappings[0].directory == "/srv/a");
    CHECK(c.cgi.mappings[1].prefix == "/b/c/");
    CHECK(c.cgi.mappings[1].directory == "rel");
    CHECK(c.cgi.extensions == std::vector<std::string>{".cgi", ".py"});
    CHECK(c.cgi.no_output_timeout == 4000ms);
    CHECK(c.cgi.kill_grace == 500ms);
    CHECK(c.cgi.max_children == 3);
    CHECK(c.cgi.queue_timeout == 100ms);
    CHECK(c.cgi.spool_memory_bytes == 0);
    CHECK(c.cgi.spool_directory == "/var/tmp");
    CHECK(c.cgi.pass_authorization);
    CHECK(c.cgi.set_environment ==
          std::vector<std::pair<std::string, std::string>>{{"A", "1"}, {"LANG", "C"}});
    CHECK(c.cgi.pass_environment == std::vector<std::string>{"TZ"});
    CHECK(c.cgi.path == "/bin");
    CHECK(c.cgi.max_internal_redirects == 0);
    CHECK(c.cgi.resource_limits.cpu_seconds == 1);
    CHECK(c.cgi.resource_limits.address_space_bytes == 2);
    CHECK(c.cgi.resource_limits.max_processes == 3);
    CHECK(c.cgi.resource_limits.max_open_files == 4);
    CHECK(c.cgi.max_header_line_bytes == 11);
    CHECK(c.cgi.max_header_bytes == 12);
    CHECK(c.cgi.max_header_fields == 13);
    CHECK(c.cgi.max_stderr_line_bytes == 14);
}

TEST_CASE("keys that are absent keep their previous values", "[config]") {
    Config c = applied(R"({"limits": {"header_fields": 5}})");
    CHECK(c.parser_limits.max_header_fields == 5);
    CHECK(c.parser_limits.max_header_bytes == default_config().parser_limits.max_header_bytes);
    CHECK(c.listen == default_config().listen);
    CHECK(applied("{}").root == default_config().root);
}

TEST_CASE("durations are seconds, fractions rounded up to whole milliseconds", "[config]") {
    CHECK(applied(R"({"timeouts": {"header_read": 0.0001}})").timeouts.header_read == 1ms);
    CHECK(applied(R"({"timeouts": {"header_read": 0.3}})").timeouts.header_read == 300ms);
    CHECK(applied(R"({"timeouts": {"keep_alive": 86400}})").timeouts.keep_alive == 86'400'000ms);
}

// ------------------------------------------------------------------------------------------------
// Errors name the JSON path

TEST_CASE("unknown keys are errors naming their JSON path", "[config]") {
    struct Case {
        const char* json;
        const char* path;
    };
    for (const auto& c : std::vector<Case>{
             {R"({"lsiten": []})", "lsiten"},
             {R"({"limits": {"body": 1}})", "limits.body"},
             {R"({"timeouts": {"read": 1}})", "timeouts.read"},
             {R"({"logs": {"debug": "-"}})", "logs.debug"},
             {R"({"mime": {"types": "x"}})", "mime.types"},
             {R"({"cgi": {"bins": []}})", "cgi.bins"},
             {R"({"cgi": {"rlimits": {"foo": 1}}})", "cgi.rlimits.foo"},
             {R"({"cgi": {"output": {"max_lines": 1}}})", "cgi.output.max_lines"},
             {R"({"cgi": {"bin": [{"prefix": "/x/", "dir": "d", "mode": 1}]}})", "cgi.bin[0].mode"},
         }) {
        INFO(c.json);
        std::string error = json_error(c.json);
        CHECK(contains(error, std::string(c.path) + ": unknown key"));
    }
}

TEST_CASE("wrong types and values are errors naming their JSON path", "[config]") {
    struct Case {
        const char* json;
        const char* path;
    };
    for (const auto& c : std::vector<Case>{
             {R"({"listen": "127.0.0.1:80"})", "listen"},
             {R"({"listen": [80]})", "listen[0]"},
             {R"({"listen": ["127.0.0.1:80", "localhost:80"]})", "listen[1]"},
             {R"({"listen": ["127.0.0.1"]})", "listen[0]"},
             {R"({"listen": ["::1:80"]})", "listen[0]"},
             {R"({"workers": "4"})", "workers"},
             {R"({"workers": -1})", "workers"},
             {R"({"workers": 1.5})", "workers"},
             {R"({"workers": true})", "workers"},
             {R"({"root": 5})", "root"},
             {R"({"root": null})", "root"},
             {R"({"index": "index.html"})", "index"},
             {R"({"index": ["a", 1]})", "index[1]"},
             {R"({"mime": []})", "mime"},
             {R"({"mime": {"default_type": 1}})", "mime.default_type"},
             {R"({"mime": {"charset": 8859}})", "mime.charset"},
             {R"({"limits": 5})", "limits"},
             {R"({"limits": {"header_fields": 0}})", "limits.header_fields"},
             {R"({"limits": {"request_line_bytes": -5}})", "limits.request_line_bytes"},
             {R"({"limits": {"body_bytes": 1e30}})", "limits.body_bytes"},
             {R"({"limits": {"connections": "many"}})", "limits.connections"},
             {R"({"timeouts": {"header_read": 0}})", "timeouts.header_read"},
             {R"({"timeouts": {"keep_alive": -1}})", "timeouts.keep_alive"},
             {R"({"timeouts": {"send": "30"}})", "timeouts.send"},
             {R"({"timeouts": {"shutdown_grace": 1e12}})", "timeouts.shutdown_grace"},
             {R"({"logs": {"access": false}})", "logs.access"},
             {R"({"cgi": {"bin": {}}})", "cgi.bin"},
             {R"({"cgi": {"bin": [{"prefix": "cgi/", "dir": "d"}]}})", "cgi.bin[0]"},
             {R"({"cgi": {"bin": [{"prefix": "/x/", "dir": ""}]}})", "cgi.bin[0]"},
             {R"({"cgi": {"bin": [{"prefix": "/x/", "dir": "d"}, "y"]}})", "cgi.bin[1]"},
             {R"({"cgi": {"extensions": ["cgi"]}})", "cgi.extensions"},
             {R"({"cgi": {"extensions": [".a/b"]}})", "cgi.extensions"},
             {R"({"cgi": {"timeout": 0}})", "cgi.timeout"},
             {R"({"cgi": {"max_children": 0}})", "cgi.max_children"},
             {R"({"cgi": {"pass_authorization": "yes"}})", "cgi.pass_authorization"},
             {R"({"cgi": {"env": []}})", "cgi.env"},
             {R"({"cgi": {"env": {"A=B": "x"}}})", "cgi.env.A=B"},
             {R"({"cgi": {"env": {"A": 1}}})", "cgi.env.A"},
             {R"({"cgi": {"pass_env": [1]}})", "cgi.pass_env[0]"},
             {R"({"cgi": {"rlimits": {"cpu_seconds": -1}}})", "cgi.rlimits.cpu_seconds"},
             {R"({"cgi": {"output": {"max_header_fields": 0}}})", "cgi.output.max_header_fields"},
             {R"({"logs": {"error": "off"}})", "logs.error"},
             {R"({"cgi": {"max_redirects": 4294967296}})", "cgi.max_redirects"},
             {R"({"cgi": {"max_redirects": 2147483648}})", "cgi.max_redirects"},
         }) {
        INFO(c.json);
        std::string error = json_error(c.json);
        CHECK_FALSE(error.empty());
        CHECK(error.rfind(std::string(c.path) + ": ", 0) == 0);
    }
}

TEST_CASE("text that is not a JSON object is refused, naming its origin", "[config]") {
    CHECK(json_error("{") == "test.json: not valid JSON");
    CHECK(json_error("") == "test.json: not valid JSON");
    CHECK(json_error(R"({"root": "a",})") == "test.json: not valid JSON");
    CHECK(contains(json_error("[]"), "expected an object"));
    CHECK(contains(json_error("42"), "expected an object"));
}

TEST_CASE("mime.charset: utf-8 by default, off, or a charset name", "[config]") {
    CHECK(default_config().mime_charset == "utf-8");
    CHECK(applied(R"({"mime": {"charset": "iso-8859-1"}})").mime_charset == "iso-8859-1");
    CHECK(applied(R"({"mime": {"charset": "Shift_JIS"}})").mime_charset == "Shift_JIS");
    // "off" (any case, like Apache's AddDefaultCharset Off): no charset parameter at all.
    CHECK(applied(R"({"mime": {"charset": "off"}})").mime_charset.empty());
    CHECK(applied(R"({"mime": {"charset": "Off"}})").mime_charset.empty());
    // Anything else must be a token (RFC 9110 §8.3.2): it goes into a header field as it is.
    for (const char* bad : {R"("")", R"("utf 8")", R"("utf-8; x=y")", R"("\"utf-8\"")",
                            R"("utf-8\r\nSet-Cookie: a=b")", R"("utf-8,latin1")", R"("é")",
                            R"("a1234567890123456789012345678901234567890")"}) {
        INFO(bad);
        CHECK(contains(json_error(std::string(R"({"mime": {"charset": )") + bad + "}}"),
                       "mime.charset: "));
    }
    // RFC 2978 §2.3: a charset name is at most 40 characters.
    CHECK(applied(R"({"mime": {"charset": "a123456789012345678901234567890123456789"}})")
              .mime_charset.size() == 40);
}

TEST_CASE("a JSON worker count is bounded like --workers", "[config]") {
    // Unbounded, 100000 threads would start, and 4294967297 would wrap to 1 in an unsigned.
    CHECK(applied(R"({"workers": 1024})").workers == 1024);
    CHECK(contains(json_error(R"({"workers": 1025})"), "workers: "));
    CHECK(contains(json_error(R"({"workers": 100000})"), "workers: "));
    CHECK(contains(json_error(R"({"workers": 4294967297})"), "workers: "));
}

// ------------------------------------------------------------------------------------------------
// Command line

TEST_CASE("without flags: the built-in defaults, paths made absolute", "[config][cli]") {
    CommandLine cl = parse({});
    CHECK(cl.action == CommandLine::Action::Serve);
    CHECK(cl.config.listen == default_config().listen);
    CHECK(cl.config.root == (fs::current_path() / "www").lexically_normal().string());
    REQUIRE(cl.config.cgi.mappings.size() == 1);
    CHECK(fs::path(cl.config.cgi.mappings[0].directory).is_absolute());
}

TEST_CASE("the help, version and check-config flags select the action", "[config][cli]") {
    CHECK(parse({"--help"}).action == CommandLine::Action::Help);
    CHECK(parse({"-h"}).action == CommandLine::Action::Help);
    CHECK(parse({"--version"}).action == CommandLine::Action::Version);
    CHECK(parse({"--check-config"}).action == CommandLine::Action::CheckConfig);
    CHECK(parse({"--root", "/srv", "--check-config"}).config.root == "/srv");
    CHECK(contains(cgikit::usage_text(), "--cgi-bin PREFIX=DIR"));
}

TEST_CASE("flags override the config file", "[config][cli]") {
    ScratchDir dir;
    std::string file = dir.write("c.json", R"({
        "listen": ["127.0.0.1:1111", "127.0.0.1:2222"], "root": "/from/file", "workers": 7,
        "logs": {"access": "/from/file/access.log", "error": "/from/file/error.log"},
        "cgi": {"bin": [{"prefix": "/file/", "dir": "/file-cgi"}]},
        "limits": {"header_fields": 12}})");

    CommandLine from_file = parse({"--config", file});
    CHECK(from_file.config.listen == std::vector<std::string>{"127.0.0.1:1111", "127.0.0.1:2222"});
    CHECK(from_file.config.root == "/from/file");
    CHECK(from_file.config.workers == 7);
    CHECK(from_file.config.parser_limits.max_header_fields == 12);

    CommandLine overridden =
        parse({"--config=" + file, "--listen", "[::1]:3333", "--root=/flag", "--workers", "2",
               "--access-log", "off", "--error-log", "-", "--cgi-bin", "/x=/flag-cgi"});
    const Config& c = overridden.config;
    CHECK(c.listen == std::vector<std::string>{"[::1]:3333"});  // replaces, not appends
    CHECK(c.root == "/flag");
    CHECK(c.workers == 2);
    CHECK(c.access_log == "off");
    CHECK(c.error_log == "-");
    REQUIRE(c.cgi.mappings.size() == 1);
    CHECK(c.cgi.mappings[0].prefix == "/x/");
    CHECK(c.cgi.mappings[0].directory == "/flag-cgi");
    CHECK(c.parser_limits.max_header_fields == 12);  // untouched by flags
}

TEST_CASE("flags given several times", "[config][cli]") {
    CommandLine cl =
        parse({"--listen", "127.0.0.1:1", "--listen=[::1]:2", "--cgi-bin", "/cgi-bin/=/srv/a/",
               "--cgi-bin", "/other=/srv/b", "--root", "/one", "--root", "/two"});
    CHECK(cl.config.listen == std::vector<std::string>{"127.0.0.1:1", "[::1]:2"});
    REQUIRE(cl.config.cgi.mappings.size() == 2);
    CHECK(cl.config.cgi.mappings[0].prefix == "/cgi-bin/");
    CHECK(cl.config.cgi.mappings[0].directory == "/srv/a");
    CHECK(cl.config.cgi.mappings[1].prefix == "/other/");
    CHECK(cl.config.cgi.mappings[1].directory == "/srv/b");
    CHECK(cl.config.root == "/two");  // the last one wins
}

TEST_CASE("cgi-bin flag PREFIX=DIR: relative directories become absolute", "[config][cli]") {
    CommandLine cl = parse({"--cgi-bin", "/s/=scripts/../cgi"});
    REQUIRE(cl.config.cgi.mappings.size() == 1);
    CHECK(cl.config.cgi.mappings[0].directory ==
          (fs::current_path() / "cgi").lexically_normal().string());
    // The first '=' splits: a directory may contain '='.
    CHECK(parse({"--cgi-bin", "/p/=/a=b"}).config.cgi.mappings.at(0).directory == "/a=b");
}

TEST_CASE("the config file's text from a reader: startup's path without reading a file",
          "[config][cli]") {
    // What fuzz_config goes through: defaults, the file, the flags, then the final checks.
    std::vector<std::string> asked;
    std::string text = R"({"listen": ["127.0.0.1:8081", "127.0.0.1:8081"], "root": "rel"})";
    auto reader = [&](const std::string& path) {
        asked.push_back(path);
        return text;
    };
    const char* twice[] = {"cgikitd", "--config", "virtual.json", nullptr};
    std::string error;
    try {
        parse_command_line(3, twice, reader);
    } catch (const ConfigError& e) {
        error = e.what();
    }
    CHECK(error == "listen: 127.0.0.1:8081 is given twice");
    CHECK(asked == std::vector<std::string>{"virtual.json"});

    const char* overridden[] = {"cgikitd", "--config", "v.json", "--listen", "[::1]:1", nullptr};
    CommandLine cl = parse_command_line(5, overridden, reader);
    CHECK(cl.config.listen == std::vector<std::string>{"[::1]:1"});
    CHECK(cl.config.root == (fs::current_path() / "rel").lexically_normal().string());
}

TEST_CASE("bad flags are errors naming the flag", "[config][cli]") {
    struct Case {
        std::vector<std::string> args;
        const char* flag;
    };
    for (const auto& c : std::vector<Case>{
             {{"--listen", "localhost:80"}, "--listen"},
             {{"--listen", "127.0.0.1"}, "--listen"},
             {{"--listen", "127.0.0.1:99999"}, "--listen"},
             {{"--listen", "::1:80"}, "--listen"},
             {{"--listen="}, "--listen"},
             {{"--listen"}, "--listen"},
             {{"--root", ""}, "--root"},
             {{"--root"}, "--root"},
             {{"--cgi-bin", "/cgi-bin/"}, "--cgi-bin"},
             {{"--cgi-bin", "cgi-bin=/dir"}, "--cgi-bin"},
             {{"--cgi-bin", "/cgi-bin/="}, "--cgi-bin"},
             {{"--workers", "-1"}, "--workers"},
             {{"--workers", "1025"}, "--workers"},
             {{"--workers", "4x"}, "--workers"},
             {{"--workers", ""}, "--workers"},
             {{"--workers", "+4"}, "--workers"},
             {{"--error-log", "off"}, "--error-log"},
             {{"--config", "/nonexistent/cgikitd.json"}, "--config"},
             {{"--bogus"}, "--bogus"},
             {{"-x"}, "-x"},
             {{"--rootdir", "/x"}, "--rootdir"},
             {{"serve"}, "serve"},
         }) {
        std::string joined;
        for (const auto& a : c.args)
            joined += a + " ";
        INFO(joined);
        std::string error = flag_error(c.args);
        CHECK(error.rfind(std::string(c.flag), 0) == 0);
    }
}

TEST_CASE("workers flag bounds: 0 (one per core) to 1024", "[config][cli]") {
    CHECK(parse({"--workers", "0"}).config.workers == 0);
    CHECK(parse({"--workers", "1"}).config.workers == 1);
    CHECK(parse({"--workers=1024"}).config.workers == 1024);
}

TEST_CASE("a config file with an error names the file and the key", "[config][cli]") {
    ScratchDir dir;
    std::string bad_key = dir.write("bad.json", R"({"cgi": {"rlimits": {"foo": 1}}})");
    CHECK(contains(flag_error({"--config", bad_key}), "cgi.rlimits.foo: unknown key"));
    std::string bad_json = dir.write("broken.json", "{\"root\": ");
    CHECK(contains(flag_error({"--config", bad_json}), bad_json + ": not valid JSON"));
    std::string no_listen = dir.write("empty.json", R"({"listen": []})");
    CHECK(contains(flag_error({"--config", no_listen}), "listen"));
}

TEST_CASE("the same listen address twice is an error; port 0 may repeat", "[config][cli]") {
    // It could only fail to bind at startup; --check-config must see it (Apache and nginx refuse).
    CHECK(contains(flag_error({"--listen", "127.0.0.1:8081", "--listen", "127.0.0.1:8081"}),
                   "listen: 127.0.0.1:8081 is given twice"));
    CHECK(contains(flag_error({"--listen", "[::1]:8081", "--listen", "[0:0::1]:8081"}),
                   "listen: [::1]:8081 is given twice"));
    ScratchDir dir;
    std::string twice = dir.write("twice.json", R"({"listen": ["0.0.0.0:80", "0.0.0.0:80"]})");
    CHECK(contains(flag_error({"--config", twice}), "is given twice"));
    CHECK(parse({"--listen", "127.0.0.1:0", "--listen", "127.0.0.1:0"}).config.listen.size() == 2);
    CHECK(
        parse({"--listen", "127.0.0.1:8081", "--listen", "127.0.0.2:8081"}).config.listen.size() ==
        2);
}
