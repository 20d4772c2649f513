// time: the classic time-stamp service of the network-programming tutorials, as a CGI program.
// Every line of the posted text comes back prefixed with the server's time as ctime(3) prints it:
//
//   $ curl -d text=hello http://127.0.0.1:8080/cgi-bin/time
//   [Thu Nov 21 05:36:00 2026] hello
//
// The text comes from the field `text` (a form, urlencoded or multipart, or the query string) or
// from a text/plain body. `format=json` (in the query or the form) answers with JSON instead. A
// GET without text shows a small form.
#include <cgikit/cgikit.hpp>
#include <ctime>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "page.hpp"

namespace {

// The tutorials' protocol bounds a message at 4 KiB; a program should bound what it echoes too.
constexpr std::size_t kMaxTextBytes = 4096;

// "Thu Nov 21 05:36:00 2026": ctime(3)'s format in the server's local time, without the newline.
std::string ctime_text(std::time_t when) {
    std::tm local{};
    ::localtime_r(&when, &local);
    char text[64];
    const std::size_t length = std::strftime(text, sizeof text, "%a %b %e %H:%M:%S %Y", &local);
    return std::string(text, length);
}

// The lines of `text` ("\n" or "\r\n" separated; a final newline does not start another line).
std::vector<std::string> lines_of(std::string_view text) {
    std::vector<std::string> lines;
    while (!text.empty()) {
        const auto end = text.find('\n');
        std::string_view line = text.substr(0, end);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        lines.emplace_back(line);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    }
    if (lines.empty()) lines.emplace_back();  // an empty message is still stamped
    return lines;
}

std::string form_page() {
    return examples::page(
        "Time stamps",
        "<p>Each line you send comes back prefixed with the server's time.</p>\n"
        "<form class=\"card\" method=\"post\" action=\"\">\n"
        "<div class=\"field\"><label for=\"text\">Text</label>\n"
        "<textarea id=\"text\" name=\"text\" rows=\"3\">hello</textarea></div>\n"
        "<div class=\"field\"><label for=\"format\">Answer as</label>\n"
        "<select id=\"format\" name=\"format\"><option>text</option><option>json</option>"
        "</select></div>\n<button type=\"submit\">Stamp it</button>\n</form>\n");
}

void handle(cgikit::Request& request, cgikit::Response& response) {
    std::optional<std::string_view> text = request.get("text");
    if (!text && request.media_type() == "text/plain") text = request.body();
    if (!text) {
        if (request.method() == "POST") throw cgikit::HttpError(422, "no text to stamp");
        response.set_body("text/html; charset=utf-8", form_page());
        return;
    }
    if (text->size() > kMaxTextBytes) {
        throw cgikit::HttpError(413, "at most " + std::to_string(kMaxTextBytes) + " bytes");
    }
    const std::string_view format = request.get("format").value_or("text");
    if (format != "text" && format != "json") throw cgikit::HttpError(400, "format: text or json");

    const std::time_t now = std::time(nullptr);
    const std::string stamp = "[" + ctime_text(now) + "] ";
    std::vector<std::string> stamped;
    for (const std::string& line : lines_of(cgikit::to_valid_utf8(*text))) {
        stamped.push_back(stamp + line);
    }
    if (format == "json") {
        // set_json: application/json; strings are valid UTF-8 already (to_valid_utf8 above).
        response.set_json({{"time", ctime_text(now)},
                           {"unix_time", static_cast<long long>(now)},
                           {"lines", stamped}});
        return;
    }
    std::string body;
    for (const std::string& line : stamped) {
        body += line + "\n";
    }
    response.set_body("text/plain; charset=utf-8", std::move(body));
}

}  // namespace

int main() {
    return cgikit::run(handle);
}
