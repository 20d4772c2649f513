#pragma once
// The page frame the example programs share: a complete HTML5 document that uses the site's
// stylesheet. Not part of libcgikit: it keeps the markup in one place so that each example shows
// only what it does with the library.
//
// Links are relative ("../style.css", "../") so the same program works wherever it is mounted:
// /cgi-bin/ under cgikitd or Apache, or a prefix such as /cgikit/cgi-bin/ behind a reverse proxy.
#include <cgikit/html.hpp>
#include <string>
#include <string_view>

namespace examples {

// Everything up to and including <main>, with `title` (escaped here) as title and heading.
inline std::string page_start(std::string_view title) {
    const std::string escaped = cgikit::escape_html(title);
    return "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           "<title>" +
           escaped + " · cgikit</title>\n<link rel=\"stylesheet\" href=\"../style.css\">\n" +
           "<link rel=\"icon\" href=\"../favicon.svg\">\n</head>\n<body>\n"
           "<header class=\"site\"><a class=\"brand\" href=\"../\">cgikit</a> "
           "<span>examples</span></header>\n<main>\n<h1>" +
           escaped + "</h1>\n";
}

inline std::string page_end() {
    return "</main>\n<footer class=\"site\">Served by a C++ CGI program built on libcgikit. "
           "<a href=\"../\">All examples</a></footer>\n</body>\n</html>\n";
}

// A complete page around `content` (which must already be HTML).
inline std::string page(std::string_view title, std::string_view content) {
    std::string html = page_start(title);
    html += content;
    html += page_end();
    return html;
}

}  // namespace examples
