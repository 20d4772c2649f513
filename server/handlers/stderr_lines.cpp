#include "handlers/stderr_lines.hpp"

#include <algorithm>
#include <utility>

namespace cgikit::handlers {

StderrLineSplitter::StderrLineSplitter(std::size_t max_line_bytes)
    : max_line_bytes_(std::max<std::size_t>(max_line_bytes, 1)) {}

void StderrLineSplitter::add_content(char byte, std::vector<std::string>& lines) {
    if (pending_.size() == max_line_bytes_) {
        lines.push_back(std::move(pending_));
        pending_.clear();
    }
    pending_ += byte;
}

std::vector<std::string> StderrLineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    for (const char c : bytes) {
        if (c == '\n') {
            lines.push_back(std::move(pending_));
            pending_.clear();
            pending_cr_ = false;
            continue;
        }
        if (pending_cr_) add_content('\r', lines);  // a CR inside the line is content
        pending_cr_ = c == '\r';
        if (!pending_cr_) add_content(c, lines);
    }
    return lines;
}

std::optional<std::string> StderrLineSplitter::flush() {
    const bool had_line = !pending_.empty() || pending_cr_;
    std::string line = std::move(pending_);
    pending_.clear();
    pending_cr_ = false;
    if (!had_line) return std::nullopt;
    return line;
}

}  // namespace cgikit::handlers
