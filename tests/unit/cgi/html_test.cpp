#include "cgikit/html.hpp"

#include <catch2/catch.hpp>

using cgikit::escape_html;
using cgikit::escape_html_attribute;

TEST_CASE("html: text escaping replaces & < > \" '", "[html]") {
    CHECK(escape_html("") == "");
    CHECK(escape_html("plain text") == "plain text");
    CHECK(escape_html("<script>alert('x')</script>") ==
          "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    CHECK(escape_html("a & b \"c\"") == "a &amp; b &quot;c&quot;");
    CHECK(escape_html("&amp;") == "&amp;amp;");  // escaping is not idempotent, on purpose
    CHECK(escape_html("`") == "`");
}

TEST_CASE("html: attribute escaping also covers the backtick", "[html]") {
    CHECK(escape_html_attribute("\" onmouseover=\"x") == "&quot; onmouseover=&quot;x");
    CHECK(escape_html_attribute("' autofocus '") == "&#39; autofocus &#39;");
    CHECK(escape_html_attribute("`x`") == "&#96;x&#96;");
}

TEST_CASE("html: bytes other than the special ones are copied as they are", "[html]") {
    const std::string bytes("caf\xc3\xa9 \x00 \xff", 10);
    CHECK(escape_html(bytes) == bytes);
    std::string out = "<p>";
    cgikit::append_escaped_html(out, "1 < 2");
    CHECK(out == "<p>1 &lt; 2");
    cgikit::append_escaped_html_attribute(out, "\"");
    CHECK(out == "<p>1 &lt; 2&quot;");
}
