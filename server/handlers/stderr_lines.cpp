#include "handlers/stderr_lines.hpp"

#include <algorithm>

namespace cgikit::handlers {

std::string escape_for_log(std::string_view bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size());
    for (const char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte == '\\') {
            out += "\\\\";
        } else if (byte >= 0x20 && byte < 0x7f) {
            out += c;
        } else if (byte == '\t') {
            out += "\\t";
        } else if (byte == '\r') {
            out += "\\r";
        } else {
            out += "\\x";
            out += kHex[byte >> 4];
            out += kHex[byte & 0x0f];
        }
    }
    return out;
}

StderrLineSplitter::StderrLineSplitter(std::size_t max_line_bytes)
    : max_line_bytes_(std::max<std::size_t>(max_line_bytes, 1)) {}

void StderrLineSplitter::add_content(char byte, std::vector<std::string>& lines) {
    if (pending_.size() == max_line_bytes_) {
        lines.push_back(escape_for_log(pending_));
        pending_.clear();
    }
    pending_ += byte;
}

std::vector<std::string> StderrLineSplitter::feed(std::string_view bytes) {
    std::vector<std::string> lines;
    for (const char c : bytes) {
        if (c == '\n') {
            lines.push_back(escape_for_log(pending_));
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
    std::string line = escape_for_log(pending_);
    pending_.clear();
    pending_cr_ = false;
    if (!had_line) return std::nullopt;
    return line;
}

}  // namespace cgikit::handlers
