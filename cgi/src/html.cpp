#include "cgikit/html.hpp"

namespace cgikit {
namespace {

enum class HtmlContext { text, attribute };

std::string_view reference_for(char c, HtmlContext context) noexcept {
    switch (c) {
        case '&':
            return "&amp;";
        case '<':
            return "&lt;";
        case '>':
            return "&gt;";
        case '"':
            return "&quot;";
        case '\'':
            return "&#39;";
        case '`':
            return context == HtmlContext::attribute ? "&#96;" : std::string_view{};
        default:
            return {};
    }
}

void append_escaped(std::string& out, std::string_view in, HtmlContext context) {
    out.reserve(out.size() + in.size());
    std::size_t plain_start = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        std::string_view reference = reference_for(in[i], context);
        if (reference.empty()) continue;
        out.append(in.substr(plain_start, i - plain_start));
        out.append(reference);
        plain_start = i + 1;
    }
    out.append(in.substr(plain_start));
}

}  // namespace

void append_escaped_html(std::string& out, std::string_view text) {
    append_escaped(out, text, HtmlContext::text);
}

std::string escape_html(std::string_view text) {
    std::string out;
    append_escaped(out, text, HtmlContext::text);
    return out;
}

void append_escaped_html_attribute(std::string& out, std::string_view value) {
    append_escaped(out, value, HtmlContext::attribute);
}

std::string escape_html_attribute(std::string_view value) {
    std::string out;
    append_escaped(out, value, HtmlContext::attribute);
    return out;
}

}  // namespace cgikit
