#pragma once
// Shared by the CGI integration tests (cgi_test, cgi_output_test, cgi_lifecycle_test): a cgikitd
// that maps /cgi-bin/ to tests/fixtures/cgi-bin, the env.sh parser, and /proc probes polled against
// a deadline (never a fixed sleep as synchronisation); the request builders are raw_request.hpp's.
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "eventually.hpp"
#include "raw_request.hpp"
#include "test_server.hpp"

namespace cgikit::test {

inline std::string cgi_fixtures() {
    return fixtures_dir() + "/cgi-bin";
}

// A server whose /cgi-bin/ runs the fixture scripts; `config_json` (a whole config document)
// sets the short timeouts and limits a case needs.
inline TestServer::Options cgi_server(const TempDir& root,
                                      std::optional<std::string> config_json = {},
                                      int workers = 2) {
    TestServer::Options options;
    options.root = root.path();
    options.extra_args = {"--cgi-bin", "/cgi-bin/=" + cgi_fixtures()};
    options.config_json = std::move(config_json);
    options.workers = workers;
    return options;
}

// env.sh's body ("NAME=value" lines) as a map.
inline std::map<std::string, std::string> parse_env(const std::string& body) {
    std::map<std::string, std::string> env;
    std::istringstream lines(body);
    std::string line;
    while (std::getline(lines, line)) {
        auto eq = line.find('=');
        if (eq != std::string::npos) env[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return env;
}

// Bytes that are the same in every run but not trivially compressible or textual.
inline std::string pseudo_random_bytes(std::size_t size) {
    std::string out(size, '\0');
    std::uint32_t state = 2463534242u;
    for (auto& c : out) {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        c = static_cast<char>(state & 0xff);
    }
    return out;
}

// The fields of /proc/<pid>/stat after the command name: state, ppid, pgrp; nullopt once gone.
struct ProcessStat {
    char state = '?';
    pid_t ppid = 0;
    pid_t pgrp = 0;
};
inline std::optional<ProcessStat> process_stat(pid_t pid) {
    std::string content = read_proc_file("/proc/" + std::to_string(pid) + "/stat");
    auto close = content.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(content.substr(close + 2));
    ProcessStat stat;
    rest >> stat.state >> stat.ppid >> stat.pgrp;
    if (!rest) return std::nullopt;
    return stat;
}

// Gone for good: no /proc entry, or a zombie that is not the server's to reap (the grandchild of a
// script is reparented to init once the script is gone).
inline bool process_gone(pid_t pid) {
    auto stat = process_stat(pid);
    return !stat || stat->state == 'Z' || stat->state == 'X';
}

inline bool has_zombie(const std::vector<std::pair<pid_t, char>>& children) {
    for (const auto& child : children) {
        if (child.second == 'Z') return true;
    }
    return false;
}

// The pid of the server's one CGI child, waiting for it to appear; -1 after `timeout`.
inline pid_t wait_for_cgi_child(TestServer& server,
                                std::chrono::milliseconds timeout = std::chrono::seconds(2)) {
    pid_t pid = -1;
    eventually(
        [&] {
            auto children = child_processes(server.pid());
            if (children.size() != 1 || children.front().second == 'Z') return false;
            pid = children.front().first;
            return true;
        },
        timeout);
    return pid;
}

// Processes whose process group is `pgid` (a script and everything it forked).
inline std::vector<pid_t> process_group_members(pid_t pgid) {
    std::vector<pid_t> members;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = static_cast<pid_t>(std::stol(name));
        auto stat = process_stat(pid);
        if (stat && stat->pgrp == pgid && stat->state != 'Z') members.push_back(pid);
    }
    return members;
}

// A field of /proc/<pid>/status or /proc/<pid>/io ("VmRSS:", "wchar:"), its first number; -1 when
// the process or the field is gone.
inline long long proc_number(pid_t pid, const std::string& file, const std::string& field) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/" + file);
    std::string line;
    while (std::getline(in, line)) {
        if (line.rfind(field, 0) == 0) return std::stoll(line.substr(field.size()));
    }
    return -1;
}

// A directory the server's unprivileged user may write into (spool files, marker files).
inline std::string writable_dir(const TempDir& dir, const std::string& name) {
    std::string path = dir.mkdir(name);
    ::chmod(path.c_str(), 01777);
    return path;
}

// Config for a small in-memory spool (1 KiB) that spills into `spool_dir`.
inline std::string small_spool_config(const std::string& spool_dir) {
    return R"({"cgi": {"spool_memory_bytes": 1024, "spool_dir": ")" + spool_dir + R"("}})";
}

}  // namespace cgikit::test
