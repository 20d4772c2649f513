#include "example_checks.hpp"

#include <catch2/catch.hpp>
#include <cgikit/html.hpp>
#include <cgikit/sha256.hpp>
#include <ctime>
#include <functional>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

namespace cgikit::deploy {

namespace {

using Json = nlohmann::json;
using Catch::Matchers::Contains;
using Header = std::pair<std::string, std::string>;

// A fixed-length shape: '9' a digit, '_' a digit or a space, 'A' an upper-case ASCII letter, 'a' a
// lower-case one, anything else itself. (Not std::regex: with GCC 12 at -O2 and the sanitizers it
// trips -Wmaybe-uninitialized inside libstdc++.)
bool matches_at(std::string_view text, std::size_t at, std::string_view shape) {
    if (at > text.size() || text.size() - at < shape.size()) return false;
    for (std::size_t i = 0; i < shape.size(); ++i) {
        const char c = text[at + i];
        const bool digit = c >= '0' && c <= '9';
        const bool fits = shape[i] == '9'   ? digit
                          : shape[i] == '_' ? digit || c == ' '
                          : shape[i] == 'A' ? c >= 'A' && c <= 'Z'
                          : shape[i] == 'a' ? c >= 'a' && c <= 'z'
                                            : c == shape[i];
        if (!fits) return false;
    }
    return true;
}

bool matches_whole(std::string_view text, std::string_view shape) {
    return text.size() == shape.size() && matches_at(text, 0, shape);
}

// `text` with every occurrence of `shape` replaced by `mark`.
std::string replace_all(std::string_view text, std::string_view shape, std::string_view mark) {
    std::string out;
    for (std::size_t at = 0; at < text.size();) {
        if (matches_at(text, at, shape)) {
            out += mark;
            at += shape.size();
        } else {
            out += text[at++];
        }
    }
    return out;
}

// "http://127.0.0.1:<port>/" and the mount point after it (the tests' sites: "/" on cgikitd,
// "/cgikit/", "/app/", "/cluster/" under Apache) become "http://SITE/".
std::string mask_site_urls(std::string_view text) {
    constexpr std::string_view origin = "http://127.0.0.1:";
    constexpr std::string_view mounts[] = {"cgikit/", "app/", "cluster/"};
    std::string out;
    std::size_t at = 0;
    for (std::size_t found; (found = text.find(origin, at)) != std::string_view::npos;) {
        std::size_t end = found + origin.size();
        while (end < text.size() && text[end] >= '0' && text[end] <= '9') {
            ++end;
        }
        if (end > found + origin.size() && end < text.size() && text[end] == '/') {
            ++end;
            for (std::string_view mount : mounts) {
                if (text.substr(end).starts_with(mount)) end += mount.size();
            }
            out += text.substr(at, found - at);
            out += "http://SITE/";
        } else {
            out += text.substr(at, end - at);
        }
        at = end;
    }
    out += text.substr(at);
    return out;
}

struct Check {
    std::string name;
    HttpRequest request;
    Comparison comparison = Comparison::body;
    std::function<void(const Site&, const HttpResponse&)> expect;
};

HttpRequest get(std::string path, std::vector<Header> headers = {}) {
    return {"GET", std::move(path), std::move(headers), ""};
}

HttpRequest post_form(std::string path, std::string urlencoded) {
    return {"POST",
            std::move(path),
            {{"Content-Type", "application/x-www-form-urlencoded"}},
            std::move(urlencoded)};
}

HttpRequest post_multipart(std::string path, const std::vector<FormPart>& parts) {
    return {"POST",
            std::move(path),
            {{"Content-Type", multipart_content_type()}},
            multipart_body(parts)};
}

// A multipart body cut before its close delimiter: the library must refuse it (400).
HttpRequest post_truncated_multipart(std::string path) {
    std::string body = multipart_body({{"name", "Mallory", {}, ""}, {"message", "cut", {}, ""}});
    body.resize(body.size() - 20);
    return {"POST", std::move(path), {{"Content-Type", multipart_content_type()}}, body};
}

// 200 000 bytes that are the same in every run: above the library's 64 KiB in-memory threshold,
// so this upload goes through a temp file.
std::string binary_content() {
    std::mt19937 generator(20261121);
    std::string bytes(200000, '\0');
    for (char& byte : bytes) {
        byte = static_cast<char>(generator() & 0xff);
    }
    return bytes;
}

Json parse_json(const HttpResponse& response) {
    CHECK(response.header("Content-Type").value_or("").rfind("application/json", 0) == 0);
    const Json parsed = Json::parse(response.body, nullptr, false);
    CHECK_FALSE(parsed.is_discarded());
    return parsed;
}

void expect_html(const HttpResponse& response, int status) {
    CHECK(response.status == status);
    CHECK(response.header("Content-Type") == "text/html; charset=utf-8");
}

// One row of env's table, as env prints it.
std::string env_row(std::string_view name, std::string_view value) {
    return "<tr><th>" + escape_html(name) + "</th><td>" + escape_html(value) + "</td></tr>";
}

// The variables (and one header) whose values do not depend on the server or the mount point.
constexpr std::string_view kPortableVariables[] = {"GATEWAY_INTERFACE", "HTTP_X_TEST",
                                                   "QUERY_STRING",      "REQUEST_METHOD",
                                                   "SERVER_PROTOCOL",   "X-Test"};
constexpr std::string_view kHostileHeader = "<b>\"&'";

std::vector<std::string> portable_env_rows(const std::string& body) {
    std::vector<std::string> rows;
    for (std::string_view name : kPortableVariables) {
        const std::string start = "<tr><th>" + std::string(name) + "</th>";
        const auto at = body.find(start);
        rows.push_back(at == std::string::npos ? "(missing " + std::string(name) + ")"
                                               : body.substr(at, body.find("</tr>", at) - at));
    }
    return rows;
}

std::string upload_row(std::string_view name, const std::string& content, std::string_view type) {
    return "<tr><td class=\"name\">" + escape_html(name) + "</td><td class=\"size\">" +
           std::to_string(content.size()) + "</td><td class=\"type\">" + std::string(type) +
           "</td><td class=\"sha256\"><code>" + sha256_hex(content) + "</code></td></tr>";
}

// [[name, value], ...] as form_dump writes pairs (a braced list of pairs would be a JSON object).
Json pairs(std::initializer_list<std::pair<std::string, std::string>> list) {
    Json out = Json::array();
    for (const auto& [name, value] : list) {
        out.push_back(Json::array({name, value}));
    }
    return out;
}

Json dump_file(std::string field, std::string filename, std::string type, const std::string& data) {
    return {{"field", field},
            {"filename", filename},
            {"content_type", type},
            {"size", data.size()},
            {"sha256", sha256_hex(data)}};
}

// --------------------------------------------------------------------- the checks, in run order

std::vector<Check> site_checks() {
    return {
        {"index page", get(""), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             // A static file: its type is the server's (Apache adds no charset; the page has one).
             CHECK(r.status == 200);
             CHECK(r.header("Content-Type").value_or("").rfind("text/html", 0) == 0);
             CHECK_THAT(r.body, Contains("<meta charset=\"utf-8\">"));
             for (const char* example :
                  {"hello", "env", "form", "upload", "form_dump", "guestbook", "time"}) {
                 CHECK_THAT(r.body, Contains("href=\"cgi-bin/" + std::string(example)));
             }
             CHECK_THAT(r.body, Contains("enctype=\"multipart/form-data\""));
         }},
        {"stylesheet", get("style.css"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(r.header("Content-Type").value_or("").rfind("text/css", 0) == 0);
         }},
        {"hello", get("cgi-bin/hello"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(r.body == "Hello, world!\n");
         }},
        {"env escapes what it shows",
         get("cgi-bin/env?a=1&b=%3Cx%3E", {{"X-Test", std::string(kHostileHeader)}}),
         Comparison::env_rows,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains(env_row("REQUEST_METHOD", "GET")));
             CHECK_THAT(r.body, Contains(env_row("QUERY_STRING", "a=1&b=%3Cx%3E")));
             CHECK_THAT(r.body, Contains(env_row("GATEWAY_INTERFACE", "CGI/1.1")));
             CHECK_THAT(r.body, Contains(env_row("HTTP_X_TEST", kHostileHeader)));
             CHECK_THAT(r.body, Contains(env_row("X-Test", kHostileHeader)));
             CHECK_THAT(r.body, !Contains("<b>"));
         }},
    };
}

std::vector<Check> form_checks() {
    return {
        {"form: GET shows the form", get("cgi-bin/form"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("<form class=\"card\" method=\"post\" action=\"\">"));
             CHECK_THAT(r.body, !Contains("class=\"error\""));
         }},
        {"form: a valid post is summarised, escaped",
         post_form("cgi-bin/form",
                   "name=Ada+%3CLovelace%3E&email=ada%40example.org&age=36&colour=green"
                   "&topic=server&topic=apache&comment=first+line%0D%0Asecond+%26+last"),
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("id=\"summary\">Thank you!"));
             CHECK_THAT(r.body, Contains("<dt>name</dt><dd>Ada &lt;Lovelace&gt;</dd>"));
             CHECK_THAT(r.body, Contains("<dt>email</dt><dd>ada@example.org</dd>"));
             CHECK_THAT(r.body, Contains("<dt>age</dt><dd>36</dd>"));
             CHECK_THAT(r.body, Contains("<dt>colour</dt><dd>green</dd>"));
             CHECK_THAT(r.body, Contains("<dt>topics</dt><dd>server, apache</dd>"));
             CHECK_THAT(r.body,
                        Contains("<dd class=\"text\">first line\r\nsecond &amp; last</dd>"));
             CHECK_THAT(r.body, !Contains("<Lovelace>"));
         }},
        {"form: errors are shown next to their fields",
         post_form("cgi-bin/form", "name=&email=nope&age=abc&colour=purple&topic=server&topic=x"),
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 422);
             CHECK_THAT(r.body, Contains("Please correct the 5 field(s)"));
             CHECK_THAT(r.body, Contains("name=\"name\" value=\"\" aria-invalid=\"true\">\n"
                                         "<p class=\"error\" id=\"name-error\">"));
             CHECK_THAT(r.body, Contains("name=\"email\" value=\"nope\" aria-invalid=\"true\">\n"
                                         "<p class=\"error\" id=\"email-error\">"));
             CHECK_THAT(r.body, Contains("name=\"age\" value=\"abc\" aria-invalid=\"true\">\n"
                                         "<p class=\"error\" id=\"age-error\">A whole number"));
             CHECK_THAT(r.body, Contains("id=\"colour-error\">Pick one of the colours."));
             CHECK_THAT(r.body, Contains("id=\"topic-error\">Pick topics from the list."));
             CHECK_THAT(r.body, Contains("value=\"server\" checked>"));  // kept as posted
             CHECK_THAT(r.body, !Contains("id=\"comment-error\""));
         }},
        {"form: invalid UTF-8 is an error, and the value is kept safely",
         post_form("cgi-bin/form", "name=%FF%22%3E&email=a%40b&age=5&colour=red"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 422);
             CHECK_THAT(r.body, Contains("id=\"name-error\">This is not valid UTF-8 text."));
             CHECK_THAT(r.body, Contains("value=\"\xEF\xBF\xBD&quot;&gt;\""));
             CHECK_THAT(r.body, !Contains("id=\"email-error\""));
             CHECK_THAT(r.body, !Contains("id=\"age-error\""));
         }},
    };
}

std::vector<Check> upload_checks() {
    return {
        {"upload: GET shows a multipart form", get("cgi-bin/upload"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("enctype=\"multipart/form-data\""));
             CHECK_THAT(r.body, Contains("type=\"file\" id=\"files\" name=\"files\" multiple"));
         }},
        {"upload: two files, one through a temp file",
         post_multipart("cgi-bin/upload",
                        {{"files", "hello\n", "hello.txt", "text/plain"},
                         {"files", binary_content(), "random <1>.bin", "application/octet-stream"},
                         {"note", "<note>", {}, ""}}),
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("Received 2 files with the note “&lt;note&gt;”."));
             CHECK_THAT(r.body, Contains(upload_row("hello.txt", "hello\n", "text/plain")));
             CHECK_THAT(r.body, Contains(upload_row("random <1>.bin", binary_content(),
                                                    "application/octet-stream")));
         }},
        {"upload: an empty file input is an error next to it",
         post_multipart("cgi-bin/upload", {{"files", "", "", "application/octet-stream"}}),
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 422);
             CHECK_THAT(r.body, Contains("<p class=\"error\" id=\"files-error\">Choose at least "
                                         "one file.</p>"));
         }},
    };
}

std::vector<Check> form_dump_checks() {
    return {
        {"form_dump: query and cookies",
         get("cgi-bin/form_dump?a=1&b&c=%41%zz", {{"Cookie", "x=1; bad; y=\"2\""}}),
         Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(parse_json(r) == Json{{"method", "GET"},
                                         {"query", pairs({{"a", "1"}, {"b", ""}, {"c", "A%zz"}})},
                                         {"form", Json::array()},
                                         {"files", Json::array()},
                                         {"cookies", pairs({{"x", "1"}, {"y", "2"}})},
                                         {"json", nullptr}});
         }},
        {"form_dump: urlencoded body",
         post_form("cgi-bin/form_dump?q=1", "a=1+2&a=3&%C3%A9=%E2%98%83&empty="), Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             const Json dump = parse_json(r);
             CHECK(dump["method"] == "POST");
             CHECK(dump["query"] == pairs({{"q", "1"}}));
             CHECK(dump["form"] ==
                   pairs({{"a", "1 2"}, {"a", "3"}, {"\xC3\xA9", "\xE2\x98\x83"}, {"empty", ""}}));
         }},
        {"form_dump: multipart body with files",
         post_multipart("cgi-bin/form_dump", {{"a", "1 + 1", {}, ""},
                                              {"f", "hello", "a.txt", "text/plain"},
                                              {"g", "", "", "application/octet-stream"}}),
         Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             const Json dump = parse_json(r);
             CHECK(dump["form"] == pairs({{"a", "1 + 1"}}));
             CHECK(dump["files"] == Json{dump_file("f", "a.txt", "text/plain", "hello"),
                                         dump_file("g", "", "application/octet-stream", "")});
         }},
        {"form_dump: JSON body",
         {"POST",
          "cgi-bin/form_dump",
          {{"Content-Type", "application/json"}},
          R"({"k": [1, 2, {"x": null}], "s": "\u2603"})"},
         Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(parse_json(r)["json"] == Json{{"k", {1, 2, {{"x", nullptr}}}}, {"s", "☃"}});
         }},
        {"form_dump: a truncated multipart body is a 400",
         post_truncated_multipart("cgi-bin/form_dump"), Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 400);
             const Json dump = parse_json(r);
             CHECK(dump.size() == 1);
             CHECK(dump["error"].is_string());
         }},
    };
}

// The shapes of the times the examples print, in the notation of matches_at().
// ctime(3): "Sat Nov 21 06:46:34 2026" (the day of the month padded with a space).
constexpr std::string_view kCtime = "Aaa Aaa _9 99:99:99 9999";
// The guestbook's: ISO 8601 in JSON and attributes, and as shown in the page.
constexpr std::string_view kIsoTime = "9999-99-99T99:99:99Z";
constexpr std::string_view kShownTime = "9999-99-99 99:99:99 UTC";

std::vector<Check> time_checks() {
    return {
        {"time: GET shows a form", get("cgi-bin/time"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("<textarea id=\"text\" name=\"text\""));
         }},
        {"time: every posted line is stamped", post_form("cgi-bin/time", "text=hello%0D%0Aworld"),
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(r.header("Content-Type") == "text/plain; charset=utf-8");
             CHECK(mask_variable_parts(r.body) == "[TIME] hello\n[TIME] world\n");
             // Both lines carry the same stamp: the time of the request.
             REQUIRE(r.body.size() > kCtime.size() + 2);
             const std::string stamp = r.body.substr(0, kCtime.size() + 2);
             CHECK(r.body == stamp + " hello\n" + stamp + " world\n");
         }},
        {"time: as JSON", post_form("cgi-bin/time", "text=hi&format=json"), Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             const Json stamped = parse_json(r);
             CHECK(stamped["lines"] == Json{"[" + stamped["time"].get<std::string>() + "] hi"});
             CHECK(matches_whole(stamped["time"].get<std::string>(), kCtime));
             // The server's clock is this machine's: the stamp is now, give or take a slow run.
             CHECK(std::abs(stamped["unix_time"].get<long long>() - std::time(nullptr)) < 600);
         }},
        {"time: a text/plain body",
         {"POST", "cgi-bin/time", {{"Content-Type", "text/plain"}}, "one\r\ntwo\n"},
         Comparison::body,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(mask_variable_parts(r.body) == "[TIME] one\n[TIME] two\n");
         }},
        {"time: an unknown format is a 400", post_form("cgi-bin/time", "text=x&format=xml"),
         Comparison::body, [](const Site&, const HttpResponse& r) { CHECK(r.status == 400); }},
    };
}

void expect_entry(const Json& entry, int id, std::string_view name, std::string_view message) {
    CHECK(entry["id"] == id);
    CHECK(entry["name"] == name);
    CHECK(entry["message"] == message);
    CHECK(matches_whole(entry["time"].get<std::string>(), kIsoTime));
}

void expect_two_entries(const Site&, const HttpResponse& r) {
    CHECK(r.status == 200);
    const Json list = parse_json(r);
    CHECK(list["count"] == 2);
    REQUIRE(list["entries"].size() == 2);
    expect_entry(list["entries"][0], 2, "Bob", "second");  // newest first
    expect_entry(list["entries"][1], 1, "Ann", "<b>hi</b> & bye");
}

void expect_redirect_to_list(const Site& site, const HttpResponse& r) {
    CHECK(r.status == 303);
    // The program's absolute URL; behind a proxy, rewritten by ProxyPassReverse to the proxy's.
    CHECK(r.header("Location") == site.url("cgi-bin/guestbook"));
}

std::vector<Check> guestbook_checks() {
    return {
        {"guestbook: empty at first", get("cgi-bin/guestbook?format=json"), Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 200);
             CHECK(parse_json(r) == Json{{"count", 0}, {"entries", Json::array()}});
         }},
        {"guestbook: a post redirects to the list",
         post_form("cgi-bin/guestbook", "name=Ann&message=%3Cb%3Ehi%3C%2Fb%3E+%26+bye"),
         Comparison::body, expect_redirect_to_list},
        {"guestbook: a second post", post_form("cgi-bin/guestbook", "name=Bob&message=second"),
         Comparison::body, expect_redirect_to_list},
        {"guestbook: the list, newest first, escaped", get("cgi-bin/guestbook"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 200);
             CHECK_THAT(r.body, Contains("<span class=\"count\" id=\"count\">2</span>"));
             CHECK_THAT(r.body,
                        Contains("<p class=\"message\">&lt;b&gt;hi&lt;/b&gt; &amp; bye</p>"));
             CHECK_THAT(r.body, !Contains("<b>hi</b>"));
             const auto bob = r.body.find("<strong class=\"name\">Bob</strong>");
             const auto ann = r.body.find("<strong class=\"name\">Ann</strong>");
             CHECK(bob != std::string::npos);
             CHECK(ann != std::string::npos);
             CHECK(bob < ann);
         }},
        {"guestbook: the list as JSON", get("cgi-bin/guestbook?format=json"), Comparison::json,
         expect_two_entries},
        {"guestbook: a post without a message is refused",
         post_form("cgi-bin/guestbook", "name=Eve"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 422);
             CHECK_THAT(r.body, Contains("id=\"message-error\">Please fill this in.</p>"));
             CHECK_THAT(r.body, Contains("name=\"name\" maxlength=\"80\" value=\"Eve\">"));
         }},
        {"guestbook: invalid UTF-8 is refused",
         post_form("cgi-bin/guestbook", "name=%FF&message=x"), Comparison::body,
         [](const Site&, const HttpResponse& r) {
             expect_html(r, 422);
             CHECK_THAT(r.body, Contains("id=\"name-error\">This is not valid UTF-8 text."));
         }},
        {"guestbook: a truncated body is refused", post_truncated_multipart("cgi-bin/guestbook"),
         Comparison::body, [](const Site&, const HttpResponse& r) { CHECK(r.status == 400); }},
        {"guestbook: refused posts stored nothing", get("cgi-bin/guestbook?format=json"),
         Comparison::json, expect_two_entries},
        {"guestbook: a JSON post answers 201 with the entry",
         post_form("cgi-bin/guestbook?format=json", "name=Cy&message=third"), Comparison::json,
         [](const Site&, const HttpResponse& r) {
             CHECK(r.status == 201);
             expect_entry(parse_json(r), 3, "Cy", "third");
         }},
    };
}

// Strings masked, "unix_time" (seconds since the epoch: differs from run to run) left out.
Json normalized(const Json& value) {
    if (value.is_string()) return mask_variable_parts(value.get<std::string>());
    if (value.is_array()) {
        Json out = Json::array();
        for (const Json& item : value) {
            out.push_back(normalized(item));
        }
        return out;
    }
    if (value.is_object()) {
        Json out = Json::object();
        for (const auto& [key, item] : value.items()) {
            if (key != "unix_time") out[key] = normalized(item);
        }
        return out;
    }
    return value;
}

void compare_json(const std::string& reference_body, const std::string& other_body) {
    const Json reference = normalized(Json::parse(reference_body, nullptr, false));
    const Json other = normalized(Json::parse(other_body, nullptr, false));
    CHECK_FALSE(other.is_discarded());
    if (!reference.is_object() || !other.is_object()) {
        CHECK(other.dump() == reference.dump());
        return;
    }
    std::set<std::string> members;
    for (const auto& [key, value] : reference.items()) {
        members.insert(key);
    }
    for (const auto& [key, value] : other.items()) {
        members.insert(key);
    }
    for (const std::string& member : members) {
        INFO("JSON member \"" << member << "\"");
        CHECK(other.value(member, Json("(missing)")).dump() ==
              reference.value(member, Json("(missing)")).dump());
    }
}

}  // namespace

std::string mask_variable_parts(std::string text) {
    text = mask_site_urls(text);
    for (std::string_view shape : {kCtime, kIsoTime, kShownTime}) {
        text = replace_all(text, shape, "TIME");
    }
    return text;
}

std::vector<Answer> run_example_checks(const Site& site) {
    std::vector<Check> checks = site_checks();
    for (auto more :
         {form_checks(), upload_checks(), form_dump_checks(), time_checks(), guestbook_checks()}) {
        checks.insert(checks.end(), more.begin(), more.end());
    }
    std::vector<Answer> answers;
    for (const Check& check : checks) {
        INFO(site.name << ": " << check.name << " (" << check.request.method << " " << site.prefix
                       << check.request.path << ")");
        HttpResponse response = send(site, check.request);
        check.expect(site, response);
        answers.push_back({check.name, check.comparison, std::move(response)});
    }
    return answers;
}

void compare_runs(const std::vector<Answer>& reference, const std::vector<Answer>& other) {
    REQUIRE(other.size() == reference.size());
    for (std::size_t i = 0; i < reference.size(); ++i) {
        const HttpResponse& expected = reference[i].response;
        const HttpResponse& got = other[i].response;
        INFO("the same answer as cgikitd to: " << reference[i].check);
        CHECK(got.status == expected.status);
        switch (reference[i].comparison) {
            case Comparison::body:
                CHECK(mask_variable_parts(got.body) == mask_variable_parts(expected.body));
                break;
            case Comparison::json:
                compare_json(expected.body, got.body);
                break;
            case Comparison::env_rows:
                CHECK(portable_env_rows(got.body) == portable_env_rows(expected.body));
                break;
        }
    }
}

}  // namespace cgikit::deploy
