// guestbook: a small persistent application. Entries posted by a form are stored in SQLite and
// listed newest first, every stored string HTML-escaped on the way out; `?format=json` gives the
// same list as JSON. A valid POST answers 303 See Other back to the list (post/redirect/get, so a
// reload does not post twice); with `?format=json` it answers 201 and the new entry instead. An
// invalid post stores nothing and shows the form with the errors (422).
//
// The database is the file named by the variable CGIKIT_GUESTBOOK_DB (set it in the server's
// config: cgikitd "cgi.env", Apache `SetEnv`), else /tmp/cgikit-guestbook.sqlite3. Its directory
// must be writable by the user CGI programs run as (nobody, when the server starts as root). Every
// request is a process of its own, and many run at once: WAL mode lets readers work while one
// writer writes, and the busy timeout makes a writer wait its turn instead of failing.
#include <sqlite3.h>

#include <cgikit/cgikit.hpp>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "page.hpp"

namespace {

using cgikit::escape_html;

constexpr std::string_view kDefaultDatabase = "/tmp/cgikit-guestbook.sqlite3";
// How long a writer waits for another to finish: far longer than one insert takes, even with
// hundreds queued, yet bounded well under the server's CGI timeout (30 s by default).
constexpr int kBusyTimeoutMs = 15000;
constexpr std::size_t kMaxNameBytes = 80;
constexpr std::size_t kMaxMessageBytes = 2000;
// Entries in the HTML page; JSON takes ?limit= up to kMaxListed.
constexpr int kShownOnPage = 50;
constexpr int kDefaultListed = 100;
constexpr int kMaxListed = 1000;

struct CloseDatabase {
    void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct FinalizeStatement {
    void operator()(sqlite3_stmt* statement) const noexcept { sqlite3_finalize(statement); }
};
using Database = std::unique_ptr<sqlite3, CloseDatabase>;
using Statement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

struct Entry {
    long long id = 0;
    std::string name;
    std::string message;
    std::string time;  // UTC, ISO 8601
};

// A failed database call: "busy" after the timeout is 503 (try again), anything else 500.
[[noreturn]] void fail(sqlite3* db, std::string_view what) {
    const int code = sqlite3_errcode(db);
    const std::string message = std::string(what) + ": " + sqlite3_errmsg(db);
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED) throw cgikit::HttpError(503, message);
    throw std::runtime_error(message);  // run() answers 500 and logs it to stderr
}

Database open_database(const cgikit::Request& request) {
    const std::string path(request.env("CGIKIT_GUESTBOOK_DB").value_or(kDefaultDatabase));
    sqlite3* raw = nullptr;
    const int status =
        sqlite3_open_v2(path.c_str(), &raw, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    Database db(raw);
    if (status != SQLITE_OK) fail(db.get(), "cannot open " + path);
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    // WAL is a property of the file: set once, it stays. CREATE TABLE IF NOT EXISTS likewise.
    const char* setup =
        "PRAGMA journal_mode=WAL;"
        "CREATE TABLE IF NOT EXISTS entries ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " name TEXT NOT NULL, message TEXT NOT NULL,"
        " time TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')))";
    if (sqlite3_exec(db.get(), setup, nullptr, nullptr, nullptr) != SQLITE_OK) {
        fail(db.get(), "cannot set up " + path);
    }
    return db;
}

Statement prepare(sqlite3* db, std::string_view sql) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &raw, nullptr) !=
        SQLITE_OK) {
        fail(db, "cannot prepare a statement");
    }
    return Statement(raw);
}

std::string column_text(sqlite3_stmt* statement, int column) {
    const auto* text = sqlite3_column_text(statement, column);
    return text == nullptr
               ? std::string()
               : std::string(reinterpret_cast<const char*>(text),
                             static_cast<std::size_t>(sqlite3_column_bytes(statement, column)));
}

// Values are bound as parameters, never pasted into SQL.
Entry insert(sqlite3* db, std::string_view name, std::string_view message) {
    Statement statement = prepare(
        db,
        "INSERT INTO entries (name, message) VALUES (?1, ?2) RETURNING id, name, message, time");
    sqlite3_bind_text(statement.get(), 1, name.data(), static_cast<int>(name.size()),
                      SQLITE_TRANSIENT);
    sqlite3_bind_text(statement.get(), 2, message.data(), static_cast<int>(message.size()),
                      SQLITE_TRANSIENT);
    if (sqlite3_step(statement.get()) != SQLITE_ROW) fail(db, "cannot store the entry");
    Entry entry{sqlite3_column_int64(statement.get(), 0), column_text(statement.get(), 1),
                column_text(statement.get(), 2), column_text(statement.get(), 3)};
    if (sqlite3_step(statement.get()) != SQLITE_DONE) fail(db, "cannot store the entry");
    return entry;
}

long long count_entries(sqlite3* db) {
    Statement statement = prepare(db, "SELECT count(*) FROM entries");
    if (sqlite3_step(statement.get()) != SQLITE_ROW) fail(db, "cannot count the entries");
    return sqlite3_column_int64(statement.get(), 0);
}

std::vector<Entry> newest_entries(sqlite3* db, int limit) {
    Statement statement =
        prepare(db, "SELECT id, name, message, time FROM entries ORDER BY id DESC LIMIT ?1");
    sqlite3_bind_int(statement.get(), 1, limit);
    std::vector<Entry> entries;
    int status;
    while ((status = sqlite3_step(statement.get())) == SQLITE_ROW) {
        entries.push_back({sqlite3_column_int64(statement.get(), 0),
                           column_text(statement.get(), 1), column_text(statement.get(), 2),
                           column_text(statement.get(), 3)});
    }
    if (status != SQLITE_DONE) fail(db, "cannot list the entries");
    return entries;
}

// This program's absolute URL, from what the server says the request came to (RFC 3875 §4.1).
std::string own_url(const cgikit::Request& request) {
    const bool https = request.is_https();
    std::string url = https ? "https://" : "http://";
    url += request.server_name();
    if (const auto port = request.server_port(); port && *port != (https ? 443 : 80)) {
        url += ":" + std::to_string(*port);
    }
    return url + std::string(request.script_name());
}

nlohmann::json to_json(const Entry& entry) {
    return {
        {"id", entry.id}, {"name", entry.name}, {"message", entry.message}, {"time", entry.time}};
}

// Field name -> what is wrong with it.
using Errors = std::map<std::string, std::string, std::less<>>;

// Only valid UTF-8 is stored, so every page stays valid.
Errors validate(const cgikit::Params& form) {
    Errors errors;
    const auto check = [&](std::string_view field, std::size_t max_bytes) {
        const auto value = form.get(field);
        if (form.count(field) > 1) {
            errors.emplace(field, "Send this field once.");
        } else if (!value || value->empty()) {
            errors.emplace(field, "Please fill this in.");
        } else if (!form.get_utf8(field)) {
            errors.emplace(field, "This is not valid UTF-8 text.");
        } else if (value->size() > max_bytes) {
            errors.emplace(field, "At most " + std::to_string(max_bytes) + " bytes, please.");
        }
    };
    check("name", kMaxNameBytes);
    check("message", kMaxMessageBytes);
    return errors;
}

// "2026-11-21T06:46:34Z" (as stored) -> "2026-11-21 06:46:34 UTC" (as shown).
std::string readable_time(std::string time) {
    if (const auto t = time.find('T'); t != std::string::npos) time[t] = ' ';
    if (!time.empty() && time.back() == 'Z') time.replace(time.size() - 1, 1, " UTC");
    return time;
}

// The form, showing the values posted and an error next to each field that has one.
std::string form_html(const cgikit::Params& form, const Errors& errors) {
    const auto error_for = [&](std::string_view field) -> std::string {
        const auto found = errors.find(field);
        if (found == errors.end()) return {};
        return "<p class=\"error\" id=\"" + std::string(field) + "-error\">" +
               escape_html(found->second) + "</p>\n";
    };
    const auto invalid = [&](std::string_view field) -> std::string {
        return errors.contains(field) ? " aria-invalid=\"true\"" : "";
    };
    return "<form class=\"card\" method=\"post\" action=\"\">\n"
           "<div class=\"field\"><label for=\"name\">Your name</label>\n"
           "<input type=\"text\" id=\"name\" name=\"name\" maxlength=\"80\" value=\"" +
           cgikit::escape_html_attribute(form.get_text("name").value_or("")) + "\"" +
           invalid("name") + ">\n" + error_for("name") +
           "</div>\n<div class=\"field\"><label for=\"message\">Message</label>\n"
           "<textarea id=\"message\" name=\"message\" rows=\"3\"" +
           invalid("message") + ">" + escape_html(form.get_text("message").value_or("")) +
           "</textarea>\n" + error_for("message") +
           "</div>\n<button type=\"submit\">Sign the guestbook</button>\n</form>\n";
}

std::string entries_html(const std::vector<Entry>& entries, long long count) {
    std::string html = "<h2>Entries <span class=\"count\" id=\"count\">" + std::to_string(count) +
                       "</span></h2>\n<ol class=\"entries\" id=\"entries\">\n";
    for (const Entry& entry : entries) {
        // Stored text is the visitor's: escaped every time it goes into the page.
        html += "<li class=\"entry\"><p class=\"meta\"><strong class=\"name\">" +
                escape_html(entry.name) + "</strong> <time datetime=\"" + escape_html(entry.time) +
                "\">" + escape_html(readable_time(entry.time)) +
                "</time></p>\n<p class=\"message\">" + escape_html(entry.message) + "</p></li>\n";
    }
    if (entries.empty()) html += "<li class=\"empty\">No entries yet: be the first.</li>\n";
    return html + "</ol>\n";
}

// The list page, with the form (showing `errors` and the values posted, if any) on top.
void show_page(sqlite3* db, const cgikit::Params& form, const Errors& errors,
               cgikit::Response& response) {
    const std::string content =
        form_html(form, errors) + entries_html(newest_entries(db, kShownOnPage), count_entries(db));
    response.set_body("text/html; charset=utf-8", examples::page("Guestbook", content));
}

void add_entry(sqlite3* db, const cgikit::Request& request, bool json, cgikit::Response& response) {
    const cgikit::Params& form = request.form();
    if (const Errors errors = validate(form); !errors.empty()) {
        (void)response.set_status(422);  // nothing was stored
        if (json) return response.set_json({{"errors", errors}});
        return show_page(db, form, errors, response);
    }
    const Entry entry = insert(db, *form.get("name"), *form.get("message"));
    if (json) {
        (void)response.set_status(201);
        return response.set_json(to_json(entry));
    }
    // Back to the list. A CGI client redirect names an absolute URI (RFC 3875 §6.2.3); a reverse
    // proxy in front rewrites it (ProxyPassReverse).
    if (auto error = response.redirect(own_url(request), 303)) {
        throw std::runtime_error("cannot redirect: " + error.message);
    }
}

void list_entries(sqlite3* db, const cgikit::Request& request, cgikit::Response& response) {
    const int limit = request.query().get<int>("limit", 1, kMaxListed).value_or(kDefaultListed);
    nlohmann::json entries = nlohmann::json::array();
    for (const Entry& entry : newest_entries(db, limit)) {
        entries.push_back(to_json(entry));
    }
    response.set_json({{"count", count_entries(db)}, {"entries", std::move(entries)}});
}

void handle(cgikit::Request& request, cgikit::Response& response) {
    const std::string_view method = request.method();
    if (method != "GET" && method != "HEAD" && method != "POST") {
        (void)response.set_status(405);
        (void)response.set_header("Allow", "GET, HEAD, POST");  // RFC 9110 §15.5.6
        return response.set_body("text/plain; charset=utf-8", "GET or POST, please.\n");
    }
    const bool json = request.query().get("format") == "json";
    const Database db = open_database(request);
    if (method == "POST") return add_entry(db.get(), request, json, response);
    if (json) return list_entries(db.get(), request, response);
    show_page(db.get(), {}, {}, response);
}

}  // namespace

int main() {
    return cgikit::run(handle);
}
