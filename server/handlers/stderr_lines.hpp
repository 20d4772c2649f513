#pragma once
// StderrLineSplitter: turns a CGI child's stderr stream into log lines (the lead tags each with the
// request id and script path). Bytes from the child are hostile: a line is at most
// max_line_bytes raw bytes (longer ones are split into pieces, so one script cannot build a
// gigabyte log line). Lines are the script's bytes as sent: the error log escapes every message
// once (format_error_line, server/log.hpp), so that a script can neither forge log lines (a raw
// LF) nor send terminal escapes, and a backslash it writes shows as one escaped backslash, not as
// four (escaping here too made `C:\dir` appear as `C:\\\\dir`).
// Lines end at LF; one CR right before the LF is dropped (CRLF).
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgikit::handlers {

class StderrLineSplitter {
  public:
    // max_line_bytes: CgiSettings::max_stderr_line_bytes (at least 1).
    explicit StderrLineSplitter(std::size_t max_line_bytes);

    // The lines (and pieces of overlong lines) completed by `bytes`, raw.
    std::vector<std::string> feed(std::string_view bytes);
    // At EOF: the final line when the stream did not end with LF.
    std::optional<std::string> flush();

  private:
    void add_content(char byte, std::vector<std::string>& lines);

    std::size_t max_line_bytes_;
    std::string pending_;      // raw bytes of the current line, at most max_line_bytes_
    bool pending_cr_ = false;  // a CR was seen last: dropped if an LF follows
};

}  // namespace cgikit::handlers
