#pragma once
// Runs a CGI program as a real child process, the way a server does: a crafted environment (and
// nothing else), a body on stdin, stdout and stderr captured, a timeout. Then splits the CGI
// response (RFC 3875 §6) into status, header lines and body. For tests only.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cgikit::test {

struct CgiOutput {
    int exit_code = -1;  // -1 if killed by a signal or timed out
    bool timed_out = false;
    std::string raw;           // all of stdout
    std::string errors;        // all of stderr
    bool well_formed = false;  // stdout had a header block ending in CRLF CRLF, all lines CRLF
    int status = 0;            // from the Status header (200 if absent)
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;

    // The first header called `name` (case-insensitive).
    std::optional<std::string> header(std::string_view name) const;
};

// Splits a CGI response; sets well_formed, status, headers and body.
void parse_cgi_response(CgiOutput& out);

// Runs `program` with exactly `env` as its environment and `body` on stdin. The timeout is a
// safety net for a hung child (it is killed), not a synchronisation.
CgiOutput run_cgi(const std::string& program, const std::map<std::string, std::string>& env,
                  std::string_view body = {}, int timeout_ms = 20000);

// A fresh empty directory under /tmp, removed with everything in it by the destructor.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::string& path() const noexcept { return path_; }
    // Names in the directory (not "." and "..").
    std::vector<std::string> entries() const;

  private:
    std::string path_;
};

}  // namespace cgikit::test
