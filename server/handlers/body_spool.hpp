#pragma once
// BodySpool: collects a request body (already de-chunked) and hands it to a CGI child as stdin.
// Small bodies stay in memory; past the threshold everything moves to an unlinked 0600 temp file.
// The result is always a regular file (memfd, temp file) or /dev/null, positioned at 0: the child
// reads it at its own pace, so no stdin/stdout deadlock is possible, and its length is exact, which
// is what CONTENT_LENGTH must say (RFC 3875 §4.1.2).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>

#include "net/unique_fd.hpp"

namespace cgikit::handlers {

// Errors of the spool itself; I/O failures are errno values in std::generic_category, kept for the
// log line (ENOSPC, EDQUOT, EIO, EMFILE ...).
enum class SpoolErrc {
    body_too_large = 1,  // over max_bytes: 413 (RFC 9110 §15.5.14)
    finished = 2,        // append()/finish() after finish(): a server bug, 500
};

}  // namespace cgikit::handlers

template <>
struct std::is_error_code_enum<cgikit::handlers::SpoolErrc> : std::true_type {};

namespace cgikit::handlers {

const std::error_category& spool_category() noexcept;
std::error_code make_error_code(SpoolErrc e) noexcept;

// The status a spool error turns into: 413 for body_too_large; 507 Insufficient Storage (RFC 4918
// §11.5: "unable to store the representation needed to complete the request") for ENOSPC/EDQUOT;
// 500 for anything else.
int spool_error_status(std::error_code error) noexcept;

class BodySpool {
  public:
    BodySpool(std::size_t memory_threshold, std::string spool_directory, std::uint64_t max_bytes);
    BodySpool(const BodySpool&) = delete;
    BodySpool& operator=(const BodySpool&) = delete;
    BodySpool(BodySpool&&) noexcept = default;
    BodySpool& operator=(BodySpool&&) noexcept = default;

    // Adds bytes at the end. On error nothing of `bytes` is kept and the spool stays failed:
    // every later call returns the same error.
    std::error_code append(std::string_view bytes);
    std::uint64_t size() const noexcept { return size_; }
    // The error that failed the spool (empty while it has not failed), and that error described
    // for the error log: an I/O failure names the directory and strerror, e.g. "spooling the
    // request body in /var/tmp: No space left on device", so that an operator can tell a full disk
    // from a policy decision.
    std::error_code error() const noexcept { return error_; }
    std::string describe_error() const;

    struct FinishResult {
        net::unique_fd fd;         // the child's stdin: CLOEXEC, read-only use, at offset 0
        std::uint64_t length = 0;  // exact body length: CONTENT_LENGTH
        std::error_code error;
    };
    // Once: the spool gives up its file (or makes a memfd of the bytes in memory).
    FinishResult finish();

  private:
    std::error_code fail(std::error_code error) noexcept;
    std::error_code write_to_file(std::string_view bytes) noexcept;

    std::size_t memory_threshold_;
    std::string spool_directory_;
    std::uint64_t max_bytes_;
    std::uint64_t size_ = 0;
    std::string memory_;   // the body while size_ <= memory_threshold_
    net::unique_fd file_;  // the body once it crossed the threshold
    std::error_code error_;
    bool finished_ = false;
};

// An unlinked 0600 file in `directory`, CLOEXEC, read-write: O_TMPFILE, or mkostemp + unlink where
// the filesystem lacks O_TMPFILE (allow_o_tmpfile = false forces that path, for tests).
net::unique_fd open_anonymous_file(const std::string& directory, std::error_code& error,
                                   bool allow_o_tmpfile = true);

}  // namespace cgikit::handlers
