#pragma once
// CgiSettings: everything the CGI handler needs from the configuration (filled by
// server/config.cpp). Each limit says why it exists; 0 for an rlimit means "leave the server's own
// limit".
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace cgikit::handlers {

// A URL prefix whose requests run programs from a directory: --cgi-bin /cgi-bin/=/srv/cgi-bin
struct CgiMapping {
    std::string prefix;     // URL path prefix, starts and ends with '/'
    std::string directory;  // absolute, no trailing slash
};

struct CgiResourceLimits {
    std::uint64_t cpu_seconds = 0;          // RLIMIT_CPU: a runaway loop is killed by the kernel
    std::uint64_t address_space_bytes = 0;  // RLIMIT_AS: a leaking script cannot eat the machine
    std::uint64_t max_processes = 0;        // RLIMIT_NPROC: stops fork bombs
    std::uint64_t max_open_files = 0;       // RLIMIT_NOFILE
};

struct CgiSettings {
    std::vector<CgiMapping> mappings;
    // File extensions (".cgi", ".py") that run as CGI anywhere under the docroot; empty = off.
    std::vector<std::string> extensions;

    // No output from the script for this long -> 504 (or the connection is cut once headers went
    // out).
    std::chrono::milliseconds no_output_timeout{std::chrono::seconds(30)};
    // Between SIGTERM and SIGKILL when a script must stop.
    std::chrono::milliseconds kill_grace{std::chrono::seconds(2)};
    // Concurrent children per worker; excess requests wait up to queue_timeout, then 503.
    std::size_t max_children = 64;
    std::chrono::milliseconds queue_timeout{std::chrono::seconds(5)};

    // Request bodies are kept in memory up to this size, then spooled to an unlinked temp file.
    std::size_t spool_memory_bytes = 64 * 1024;
    std::string spool_directory = "/tmp";

    // Script output limits: hostile bytes from children (RFC 3875 §6 has no limits of its own).
    std::size_t max_header_line_bytes = 8 * 1024;
    std::size_t max_header_bytes = 64 * 1024;
    std::size_t max_header_fields = 100;
    // stderr lines longer than this are split when logged, so one script cannot flood one log line.
    std::size_t max_stderr_line_bytes = 4 * 1024;

    bool pass_authorization =
        false;  // pass Authorization as HTTP_AUTHORIZATION (off: RFC 3875 §4.1.18)
    std::vector<std::pair<std::string, std::string>>
        set_environment;                        // NAME=value added to every script
    std::vector<std::string> pass_environment;  // names copied from the server's own environment
    std::string path = "/usr/local/bin:/usr/bin:/bin";  // PATH given to scripts

    CgiResourceLimits resource_limits;
    int max_internal_redirects = 5;  // local Location redirects followed per request, then 500
};

}  // namespace cgikit::handlers
