#pragma once
// HTML escaping (HTML Living Standard §13.1.2.6 "character references"): what a program must apply
// to every untrusted string it puts into a page.
#include <string>
#include <string_view>

namespace cgikit {

// For text content: & < > " ' become character references, so the result can never open a tag,
// close an element or end an attribute. Bytes are otherwise copied as they are (validate or
// replace invalid UTF-8 first if the page must be valid).
std::string escape_html(std::string_view text);
void append_escaped_html(std::string& out, std::string_view text);

// For a value inside a *quoted* attribute (value="..." or value='...'): escape_html's set plus `
// (which old browsers treated as a quote). Never put untrusted values into unquoted attributes, or
// into URL, script or style attributes without validating them for that context.
std::string escape_html_attribute(std::string_view value);
void append_escaped_html_attribute(std::string& out, std::string_view value);

}  // namespace cgikit
