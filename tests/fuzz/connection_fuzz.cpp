// Whole-connection fuzz target: the input is everything one client sends on one connection. The
// bytes go through a local stream socket into the real Worker and Connection (the code cgikitd
// runs: accept, llhttp wrapper and its policing, routing (CGI only to scripts that cannot run),
// static files with ranges and conditions, pipelining, 100-continue and the final answers given
// early instead, error responses, lingering close), in pieces whose size the first
// input byte chooses, so every parser state is also reached across read boundaries. After the last
// piece the client shuts down its sending side.
//
// Checked, beyond ASan/UBSan/LSan: the connection always ends (a hang aborts after kHangLimit);
// afterwards the server holds no descriptor of it (files of the docroot only as far as the open
// file cache keeps them, see count_descriptors); and what the client received is a sequence of
// well-formed HTTP/1.1 responses: status line, token header names, no CR/LF/NUL in values, Date
// and Server on final responses, bodies framed by Content-Length or chunked, only statuses a static
// server can give, and nothing at all after a response that said "Connection: close" (a request
// pipelined behind a refused one is never answered).
//
// When the input arrives in pieces, the answers must also be byte for byte those to the same bytes
// in one write (Date aside): read boundaries carry no meaning in HTTP/1.1.
//
// Input: byte 0 = piece size (0: one write), bytes 1.. = the client's stream.
#include <dirent.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "handlers/mime_types.hpp"
#include "log.hpp"
#include "net/event_loop.hpp"
#include "net/timer.hpp"
#include "net/unique_fd.hpp"
#include "worker.hpp"

namespace {

// A connection still open this long after the client finished sending is a hang: every state of
// the connection must end promptly once the client has shut down its side.
constexpr std::chrono::seconds kHangLimit{5};

[[noreturn]] void fail(const std::string& why, std::string_view received) {
    std::fprintf(stderr, "connection_fuzz: %s\n--- received (%zu bytes) ---\n%.*s\n---\n",
                 why.c_str(), received.size(),
                 static_cast<int>(std::min<std::size_t>(received.size(), 4096)), received.data());
    std::abort();
}

// The descriptors this process holds, by kind. Files of the docroot are counted apart: the static
// handler's open file cache keeps recently served ones open across connections, by design (the
// first crash of this target, tests/fuzz/corpus/connection/regression-cached-file-fd, was this
// harness counting a cached big.bin as a descriptor the connection had left behind, and waiting
// for it to close until the hang watch fired).
struct Descriptors {
    int sockets = 0;        // the worker's listener, the client, the server's end of it
    int docroot_files = 0;  // files under the document root
    int others = 0;         // epoll, timers, eventfd, logs, /dev/null ...
    int all_but_docroot() const noexcept { return sockets + others; }
};

Descriptors count_descriptors(std::string_view docroot) {
    Descriptors counted;
    DIR* dir = ::opendir("/proc/self/fd");
    if (dir == nullptr) std::abort();
    const int own = ::dirfd(dir);
    char link[4096];
    while (dirent* entry = ::readdir(dir)) {
        if (entry->d_name[0] == '.' || std::atoi(entry->d_name) == own) continue;
        std::string path = std::string("/proc/self/fd/") + entry->d_name;
        ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
        std::string_view target(link, n > 0 ? static_cast<std::size_t>(n) : 0);
        if (target.starts_with("socket:")) {
            ++counted.sockets;
        } else if (target.size() > docroot.size() && target.starts_with(docroot) &&
                   target[docroot.size()] == '/') {
            ++counted.docroot_files;
        } else {
            ++counted.others;
        }
    }
    ::closedir(dir);
    return counted;
}

// ------------------------------------------------------------------ the server side, built once

// A document root exercising index files, ranges (a file larger than one socket buffer), a
// directory without an index, and a symlink out of the root that must never be followed. The CGI
// paths (a prefix mapped to cgi-bin/, the extension .cgi) lead only to scripts that cannot run, so
// the router's CGI branch and the refusals decided from the head (403, 404, answered early to
// Expect: 100-continue) are reached without ever spawning a process.
std::string make_docroot() {
    char pattern[] = "/tmp/cgikit-connection-fuzz-XXXXXX";
    if (::mkdtemp(pattern) == nullptr) std::abort();
    namespace fs = std::filesystem;
    const fs::path root = pattern;
    auto write = [&](const fs::path& relative, const std::string& content) {
        fs::create_directories((root / relative).parent_path());
        std::ofstream(root / relative, std::ios::binary) << content;
    };
    write("index.html", "<h1>home</h1>\n");
    write("hello.txt", "hello world\n");
    write("sub/index.html", "<p>sub</p>\n");
    write("empty/.keep", "");
    write("big.bin", std::string(300 * 1024, 'b'));
    write("page.cgi", "#!/bin/sh\n");           // a CGI extension, not executable: 403
    write("cgi-bin/script.sh", "#!/bin/sh\n");  // mapped, not executable: 403
    fs::permissions(root / "page.cgi", fs::perms(0644));
    fs::permissions(root / "cgi-bin/script.sh", fs::perms(0644));
    std::error_code ignored;
    fs::create_symlink("/etc/passwd", root / "outside", ignored);
    return root.string();
}

// Everything a Worker needs, plus an AF_UNIX listener it accepts from (no TCP: no TIME_WAIT, no
// ports to run out of at thousands of connections per second).
struct Harness {
    cgikit::Config config;
    cgikit::handlers::MimeTypes mime =
        cgikit::handlers::MimeTypes::from_text("", "application/octet-stream");
    cgikit::net::unique_fd root_fd;
    cgikit::LogFile access_log, error_log;
    sockaddr_un address{};
    socklen_t address_length = 0;
    std::unique_ptr<cgikit::Worker> worker;

    Harness() {
        config.root = make_docroot();
        // Short timeouts: none should ever fire (the client always ends its side), but if one
        // does, the run stays bounded well inside kHangLimit.
        config.timeouts.header_read = std::chrono::seconds(2);
        config.timeouts.keep_alive = std::chrono::seconds(2);
        config.timeouts.send = std::chrono::seconds(2);
        config.parser_limits.max_body_bytes = 4096;
        config.cgi.mappings.push_back({"/cgi-bin/", config.root + "/cgi-bin"});
        config.cgi.extensions = {".cgi"};
        root_fd.reset(::open(config.root.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
        access_log.open("off", STDOUT_FILENO);
        // CGIKIT_FUZZ_LOG=- shows the error log while debugging a finding.
        const char* log = std::getenv("CGIKIT_FUZZ_LOG");
        error_log.open(log != nullptr ? log : "/dev/null", STDERR_FILENO);

        cgikit::net::unique_fd listener(
            ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
        address.sun_family = AF_UNIX;
        // Abstract namespace (leading NUL): nothing on disk to clean up.
        std::string name = "cgikit-connection-fuzz-" + std::to_string(::getpid());
        std::memcpy(address.sun_path + 1, name.data(), name.size());
        address_length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
        if (!root_fd || !listener ||
            ::bind(listener.get(), reinterpret_cast<sockaddr*>(&address), address_length) != 0 ||
            ::listen(listener.get(), 16) != 0) {
            std::perror("connection_fuzz: setup");
            std::abort();
        }

        cgikit::SharedState shared;
        shared.config = &config;
        shared.mime = &mime;
        shared.root_fd = root_fd.get();
        shared.access_log = &access_log;
        shared.error_log = &error_log;
        shared.server_header = "cgikit/fuzz";
        std::vector<cgikit::ListenSocket> listeners;
        listeners.push_back({std::move(listener), {}});
        worker = std::make_unique<cgikit::Worker>(shared, std::move(listeners), 0);
    }
};

Harness& harness() {
    // Never destroyed: the worker outlives every run, and exit-time teardown order is moot.
    static Harness* instance = new Harness();
    return *instance;
}

// ------------------------------------------------------------------ the client side

// The client's socket in the worker's own loop: it sends the input piece by piece (one piece per
// loop iteration, so the server reads between pieces) and collects what the server sends.
class Client final : public cgikit::net::EventHandler {
  public:
    Client(int fd, std::string_view input, std::size_t piece)
        : fd_(fd), input_(input), piece_(piece == 0 ? input.size() : piece) {}

    void on_events(std::uint32_t) override { receive(); }

    void receive() {
        char buf[65536];
        while (!eof_) {
            ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            if (n > 0) {
                received_.append(buf, static_cast<std::size_t>(n));
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                return;
            } else {
                eof_ = true;  // EOF, or a reset after the server closed with input unread
            }
        }
    }

    // Sends the next piece; shuts down the sending side after the last one.
    void send_next() {
        if (done_sending_) return;
        if (sent_ < input_.size()) {
            std::size_t n = std::min(piece_, input_.size() - sent_);
            ssize_t w = ::send(fd_, input_.data() + sent_, n, MSG_NOSIGNAL);
            if (w > 0) {
                sent_ += static_cast<std::size_t>(w);
            } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                sent_ = input_.size();  // the server closed: the rest cannot be delivered
            }
            if (sent_ < input_.size()) return;
        }
        ::shutdown(fd_, SHUT_WR);
        done_sending_ = true;
    }

    bool eof() const noexcept { return eof_; }
    bool done_sending() const noexcept { return done_sending_; }
    const std::string& received() const noexcept { return received_; }

  private:
    int fd_;
    std::string_view input_;
    std::size_t piece_;
    std::size_t sent_ = 0;
    bool done_sending_ = false;
    bool eof_ = false;
    std::string received_;
};

// ------------------------------------------------------------------ response checks

bool is_tchar(char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool iequals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}

bool parse_decimal(std::string_view text, std::uint64_t& value, int base = 10) {
    if (text.empty() || text.size() > 15) return false;
    value = 0;
    for (char c : text) {
        int digit;
        if (c >= '0' && c <= '9') {
            digit = c - '0';
        } else if (base == 16 && c >= 'a' && c <= 'f') {
            digit = c - 'a' + 10;
        } else {
            return false;
        }
        value = value * static_cast<std::uint64_t>(base) + static_cast<std::uint64_t>(digit);
    }
    return true;
}

// Statuses a static-only server may send; anything else (a 500 from a handler exception, a 408
// from a timer) means a bug or a hang.
const std::set<int>& allowed_statuses() {
    static const std::set<int> statuses{100, 200, 206, 301, 304, 400, 403, 404, 405,
                                        412, 413, 414, 416, 417, 431, 501, 505};
    return statuses;
}

bool starts_response(std::string_view rest) {
    return rest.empty() || rest.starts_with("HTTP/1.1 ");
}

void check_responses(const std::string& received) {
    std::string_view rest = received;
    while (!rest.empty()) {
        if (!rest.starts_with("HTTP/1.1 ")) fail("response does not start with HTTP/1.1", rest);
        std::size_t head_end = rest.find("\r\n\r\n");
        if (head_end == std::string_view::npos) fail("truncated response head", rest);
        std::string_view head = rest.substr(0, head_end + 2);
        std::string_view after = rest.substr(head_end + 4);

        std::size_t line_end = head.find("\r\n");
        std::string_view status_line = head.substr(0, line_end);
        std::uint64_t status = 0;
        if (status_line.size() < 13 || !parse_decimal(status_line.substr(9, 3), status) ||
            status_line[12] != ' ')
            fail("malformed status line", rest);
        if (allowed_statuses().count(static_cast<int>(status)) == 0)
            fail("unexpected status " + std::to_string(status), rest);
        head.remove_prefix(line_end + 2);

        bool has_date = false, has_server = false, chunked = false, close = false;
        std::optional<std::uint64_t> content_length;
        while (!head.empty()) {
            line_end = head.find("\r\n");
            std::string_view line = head.substr(0, line_end);
            head.remove_prefix(line_end + 2);
            std::size_t colon = line.find(": ");
            if (colon == std::string_view::npos || colon == 0) fail("malformed header line", rest);
            std::string_view name = line.substr(0, colon);
            std::string_view value = line.substr(colon + 2);
            for (char c : name) {
                if (!is_tchar(c)) fail("header name is not a token", rest);
            }
            for (char c : value) {
                if (c == '\r' || c == '\n' || c == '\0') fail("CR, LF or NUL in a value", rest);
            }
            if (iequals(name, "Date")) has_date = true;
            if (iequals(name, "Server")) has_server = true;
            if (iequals(name, "Transfer-Encoding")) chunked = iequals(value, "chunked");
            if (iequals(name, "Connection")) close = iequals(value, "close");
            if (iequals(name, "Content-Length")) {
                std::uint64_t length = 0;
                if (content_length || !parse_decimal(value, length))
                    fail("bad or duplicate Content-Length", rest);
                content_length = length;
            }
        }
        if (status == 100) {  // interim: no headers of its own to speak of, no body
            rest = after;
            continue;
        }
        if (!has_date || !has_server) fail("final response without Date or Server", rest);

        if (status == 204 || status == 304) {
            rest = after;
        } else if (chunked) {
            while (true) {
                std::size_t eol = after.find("\r\n");
                std::uint64_t size = 0;
                if (eol == std::string_view::npos || !parse_decimal(after.substr(0, eol), size, 16))
                    fail("bad chunk size line", rest);
                if (after.size() < eol + 2 + size + 2) fail("truncated chunk", rest);
                if (after.substr(eol + 2 + size, 2) != "\r\n") fail("chunk without CRLF", rest);
                after.remove_prefix(eol + 2 + size + 2);
                if (size == 0) break;
            }
            rest = after;
        } else {
            if (!content_length) fail("no Content-Length and not chunked", rest);
            // The body is there, unless this answered a HEAD (the same head, no body). The test
            // files never start with "HTTP/1.1 ", so the two cannot be confused.
            if (after.size() >= *content_length && starts_response(after.substr(*content_length))) {
                rest = after.substr(*content_length);
            } else if (starts_response(after)) {
                rest = after;
            } else {
                fail("body does not match Content-Length", rest);
            }
        }
        if (close && !rest.empty()) fail("bytes after a Connection: close response", rest);
    }
}

// One connection: sends `input` in pieces of `piece` bytes (0: one write), shuts down the sending
// side, and returns everything the server sent until it closed and released the connection.
std::string run_connection(std::string_view input, std::size_t piece) {
    Harness& h = harness();
    cgikit::net::EventLoop& loop = h.worker->loop();
    const Descriptors before = count_descriptors(h.config.root);
    cgikit::net::unique_fd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd ||
        ::connect(fd.get(), reinterpret_cast<sockaddr*>(&h.address), h.address_length) != 0) {
        std::perror("connection_fuzz: connect");
        std::abort();
    }
    Client client(fd.get(), input, piece);
    loop.add(fd.get(), EPOLLIN | EPOLLOUT | EPOLLRDHUP, &client);
    client.send_next();

    cgikit::net::Timer hang_watch(
        [&] { fail("the connection did not end after the client finished", client.received()); });
    hang_watch.arm(loop.timers(), cgikit::net::Clock::now() + kHangLimit);
    loop.run([&] {
        client.send_next();
        if (client.eof() && client.done_sending() &&
            count_descriptors(h.config.root).sockets == before.sockets + 1)
            loop.stop();  // the server closed its end of the connection
    });
    hang_watch.cancel();
    loop.remove(fd.get());
    // Everything of the connection is released: nothing but the client's socket is new, and any
    // docroot file still open is one the cache holds (a FileBody leaked besides shows as one more).
    const Descriptors after = count_descriptors(h.config.root);
    if (after.all_but_docroot() != before.all_but_docroot() + 1)
        fail("the server kept a descriptor of the connection", client.received());
    const auto cached = static_cast<int>(h.worker->static_context().file_cache.open_descriptors());
    if (after.docroot_files > cached)
        fail(std::to_string(after.docroot_files) + " docroot files open, " +
                 std::to_string(cached) + " held by the cache",
             client.received());
    return client.received();
}

// The responses without their Date lines, which may differ between two runs.
std::string without_dates(std::string text) {
    for (std::size_t at; (at = text.find("\r\nDate: ")) != std::string::npos;)
        text.erase(at + 2, text.find("\r\n", at + 2) - at);
    return text;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::size_t piece = size > 0 ? data[0] : 0;
    std::string_view input(reinterpret_cast<const char*>(data), size);
    if (!input.empty()) input.remove_prefix(1);

    // Each input starts from an empty open file cache, so that it replays the same wherever it
    // comes in a run; its second connection (below) then meets the files the first one cached.
    harness().worker->static_context().file_cache.purge_expired(
        cgikit::handlers::OpenFileCache::Clock::time_point::max());
    std::string received = run_connection(input, piece);
    check_responses(received);
    // Where the reads split the stream must not change a single byte of the answers (the parser
    // is incremental: RFC 9112 gives TCP segment boundaries no meaning).
    if (piece != 0 && piece < input.size()) {
        std::string whole = run_connection(input, 0);
        if (without_dates(whole) != without_dates(received))
            fail("answers differ when the input arrives in pieces of " + std::to_string(piece) +
                     "; in one piece the server sent:\n" + whole,
                 received);
    }
    return 0;
}
