#include "cgikit/request.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <istream>
#include <memory>

#include "cgikit/cookie.hpp"
#include "cgikit/multipart.hpp"
#include "cgikit/urlencoded.hpp"
#include "http_syntax.hpp"

extern char** environ;

namespace cgikit {
namespace {

// The body is read in pieces of this size: big enough that syscalls do not dominate, small enough
// that the buffer is a rounding error next to Limits.
constexpr std::size_t kReadChunkBytes = 64 * 1024;
// A non-multipart body is read into a string that grows as bytes arrive, starting at most this
// large: a client claiming a large CONTENT_LENGTH and sending nothing costs no memory.
constexpr std::size_t kInitialBodyReserve = 64 * 1024;
// A request answered early (a body over a limit or malformed) has the rest of its body read and
// dropped first, up to this much: under Apache mod_cgid the program's stdin and stdout are one Unix
// socket, and closing it with body bytes unread resets it, so Apache may lose the answer already
// written (the client gets an empty reply). 1 GiB is Apache's default LimitRequestBody (2.4.54+):
// any body Apache accepts by default is drained, at about a second of CPU per GiB.
constexpr std::uint64_t kMaxDrainBytes = std::uint64_t{1} << 30;

char ascii_upper(char c) noexcept {
    return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
}

// "accept-language" -> "HTTP_ACCEPT_LANGUAGE" (RFC 3875 §4.1.18).
std::string header_variable(std::string_view name) {
    if (syntax::iequals(name, "Content-Type")) return "CONTENT_TYPE";
    if (syntax::iequals(name, "Content-Length")) return "CONTENT_LENGTH";
    std::string variable = "HTTP_";
    for (char c : name)
        variable.push_back(c == '-' ? '_' : ascii_upper(c));
    return variable;
}

// "ACCEPT_LANGUAGE" -> "Accept-Language".
std::string header_name(std::string_view variable_suffix) {
    std::string name;
    bool word_start = true;
    for (char c : variable_suffix) {
        if (c == '_') {
            name.push_back('-');
            word_start = true;
        } else {
            name.push_back(word_start ? ascii_upper(c) : syntax::ascii_lower(c));
            word_start = false;
        }
    }
    return name;
}

bool is_json_media_type(std::string_view essence) noexcept {
    return essence == "application/json" || essence.ends_with("+json");
}

Error errno_read_error(int saved_errno) {
    return Error(Errc::bad_request,
                 std::string("reading the request body: ") + std::strerror(saved_errno));
}

}  // namespace

namespace detail {

// Where body bytes come from: got == 0 means end of input.
class BodySource {
  public:
    virtual ~BodySource() = default;
    Error read(char* buffer, std::size_t capacity, std::size_t& got) {
        got = 0;
        Error error = read_some(buffer, capacity, got);
        consumed_ += got;
        return error;
    }
    // Bytes read so far.
    std::uint64_t consumed() const noexcept { return consumed_; }
    // Whether body bytes left unread must be drained before the program answers (see
    // kMaxDrainBytes): true for a socket or pipe, false for a file or a test's string.
    virtual bool needs_draining() const noexcept { return false; }

  private:
    virtual Error read_some(char* buffer, std::size_t capacity, std::size_t& got) = 0;
    std::uint64_t consumed_ = 0;
};

}  // namespace detail

namespace {

class FdSource final : public detail::BodySource {
  public:
    explicit FdSource(int fd) : fd_(fd) {}
    bool needs_draining() const noexcept override {
        struct stat status {};
        return ::fstat(fd_, &status) != 0 || !S_ISREG(status.st_mode);
    }

  private:
    Error read_some(char* buffer, std::size_t capacity, std::size_t& got) override {
        for (;;) {
            const ssize_t n = ::read(fd_, buffer, capacity);
            if (n >= 0) {
                got = static_cast<std::size_t>(n);
                return {};
            }
            if (errno != EINTR) return errno_read_error(errno);
        }
    }

    int fd_;
};

class StringSource final : public detail::BodySource {
  public:
    explicit StringSource(std::string_view bytes) : bytes_(bytes) {}

  private:
    Error read_some(char* buffer, std::size_t capacity, std::size_t& got) override {
        got = std::min(capacity, bytes_.size());
        std::memcpy(buffer, bytes_.data(), got);
        bytes_.remove_prefix(got);
        return {};
    }

    std::string_view bytes_;
};

class StreamSource final : public detail::BodySource {
  public:
    explicit StreamSource(std::istream& in) : in_(in) {}

  private:
    Error read_some(char* buffer, std::size_t capacity, std::size_t& got) override {
        in_.read(buffer, static_cast<std::streamsize>(capacity));
        got = static_cast<std::size_t>(in_.gcount());
        if (got == 0 && in_.bad())
            return Error(Errc::bad_request, "reading the request body failed");
        return {};
    }

    std::istream& in_;
};

Error body_too_large(std::optional<std::uint64_t> length, const Limits& limits) {
    const std::string limit = "max_body_bytes (" + std::to_string(limits.max_body_bytes) + ")";
    if (!length) return Error(Errc::too_large, "request body (chunked) exceeds " + limit);
    return Error(Errc::too_large,
                 "request body of " + std::to_string(*length) + " bytes exceeds " + limit);
}

// Whether the last transfer coding of a Transfer-Encoding value is "chunked" (RFC 9112 §6.3: then,
// and only then, the body's end is the end of the chunked framing).
bool last_coding_is_chunked(std::string_view codings) noexcept {
    const std::size_t comma = codings.rfind(',');
    std::string_view last = comma == std::string_view::npos ? codings : codings.substr(comma + 1);
    return syntax::iequals(syntax::trim_ows(last), "chunked");
}

// Reads the body from `source` in chunks, handing each to `consume`. With a declared `length`,
// exactly that many bytes: a body that ends early is a 400 (RFC 3875 §4.2: the server must make
// CONTENT_LENGTH bytes available). Without one, up to end of input, and a body over max_body_bytes
// is a 413 as soon as its first byte past the limit arrives (the rest is never read).
template <class Consume>
Error read_body_bytes(detail::BodySource& source, std::optional<std::uint64_t> length,
                      const RequestOptions& options, Consume&& consume) {
    std::unique_ptr<char[]> buffer(new char[kReadChunkBytes]);
    const std::uint64_t limit = options.limits.max_body_bytes;
    std::uint64_t done = 0;
    while (!length || done < *length) {
        // Unknown length: never ask for more than one byte past the limit (that byte is the proof).
        const std::uint64_t remaining =
            length ? *length - done
                   : (limit - done < kReadChunkBytes ? limit - done + 1 : kReadChunkBytes);
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(kReadChunkBytes, remaining));
        std::size_t got = 0;
        if (auto error = source.read(buffer.get(), want, got)) return error;
        if (got == 0) {
            if (!length) return {};
            return Error(Errc::bad_request, "request body truncated: got " + std::to_string(done) +
                                                " of " + std::to_string(*length) + " bytes");
        }
        if (!length && got > limit - done) return body_too_large(std::nullopt, options.limits);
        done += got;
        if (auto error = consume(std::string_view(buffer.get(), got))) return error;
        if (options.on_progress) options.on_progress(done, length.value_or(0));
    }
    return {};
}

// RFC 3875 §4.2: with no CONTENT_LENGTH there is no body, unless the server said otherwise. Apache
// 2.4 mod_cgi/mod_cgid pass a `Transfer-Encoding: chunked` request de-chunked on stdin with no
// CONTENT_LENGTH but with HTTP_TRANSFER_ENCODING, and close stdin after it: then the body is all of
// stdin. Without either, stdin is never read (a server may leave it open).
bool body_runs_to_end_of_input(const Request& request) {
    return !request.content_length() &&
           last_coding_is_chunked(request.env_or_empty("HTTP_TRANSFER_ENCODING"));
}

// Reads and drops what is left of the body (at most kMaxDrainBytes; never past CONTENT_LENGTH, and
// to end of input only when the body runs to it). Errors end it quietly: the answer is on its way.
void drain_unread_body(const Request& request, detail::BodySource& source) noexcept {
    if (!source.needs_draining()) return;
    std::uint64_t left = kMaxDrainBytes;
    if (const auto length = request.content_length()) {
        if (*length <= source.consumed()) return;
        left = std::min(left, *length - source.consumed());
    } else if (!body_runs_to_end_of_input(request)) {
        return;
    }
    char buffer[16 * 1024];
    while (left > 0) {
        std::size_t got = 0;
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(sizeof buffer, left));
        if (source.read(buffer, want, got) || got == 0) return;
        left -= got;
    }
}

}  // namespace

// --- construction ---

Request::Request(Request&&) noexcept = default;
Request& Request::operator=(Request&&) noexcept = default;
Request::~Request() = default;

Request Request::from_environment(const RequestOptions& options) {
    Environment env;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos || equals == 0) continue;
        env.emplace(text.substr(0, equals), text.substr(equals + 1));
    }
    return from_fd(std::move(env), STDIN_FILENO, options);
}

Request Request::from(Environment env, std::string_view body, const RequestOptions& options) {
    StringSource source(body);
    return build(std::move(env), &source, options);
}

Request Request::from(Environment env, std::istream& body, const RequestOptions& options) {
    StreamSource source(body);
    return build(std::move(env), &source, options);
}

Request Request::from_fd(Environment env, int fd, const RequestOptions& options) {
    FdSource source(fd);
    return build(std::move(env), &source, options);
}

Request Request::build(Environment env, detail::BodySource* source, const RequestOptions& options) {
    Request request;
    request.env_ = std::move(env);
    // Memory exhaustion while decoding hostile input is the client's doing: a 413, not a crash.
    try {
        request.error_ = request.parse_meta(options);
        if (!request.error_ && source != nullptr)
            request.error_ = request.read_body(*source, options);
    } catch (const std::bad_alloc&) {
        request.error_ = Error(Errc::too_large, "out of memory while reading the request");
    } catch (...) {  // from an upload sink or progress callback: run() still answers (500)
        if (source != nullptr) drain_unread_body(request, *source);
        throw;
    }
    if (request.error_) {
        request.files_.clear();  // temp files go now, not at exit
        if (source != nullptr) drain_unread_body(request, *source);
    }
    return request;
}

Error Request::parse_meta(const RequestOptions& options) {
    if (const auto length = env("CONTENT_LENGTH"); length && !length->empty()) {
        std::uint64_t value = 0;
        const char* end = length->data() + length->size();
        const auto [stop, ec] = std::from_chars(length->data(), end, value, 10);
        if (ec != std::errc{} || stop != end) {
            return Error(Errc::bad_request, "CONTENT_LENGTH is not a decimal number");
        }
        content_length_ = value;
    }
    media_type_ = media_type_essence(content_type());
    if (const auto cookie_header = env("HTTP_COOKIE")) {
        cookies_ = Params(parse_cookie_header(*cookie_header));
    }
    Fields query;
    if (auto error = parse_urlencoded(query_string(), options.limits, query)) return error;
    query_ = Params(std::move(query));
    return {};
}

// --- body ---

Error Request::read_body(detail::BodySource& source, const RequestOptions& options) {
    if (options.body == BodyHandling::leave_unread) return {};
    if (options.body == BodyHandling::parse && is_json_media_type(media_type_) &&
        options.max_json_bytes < options.limits.max_body_bytes) {
        // A body to be parsed as JSON is held to max_json_bytes, by the same checks (and the same
        // 413) as any body to the body limit.
        RequestOptions json_options = options;
        json_options.limits.max_body_bytes = options.max_json_bytes;
        return read_body(source, json_options);
    }
    if (!body_runs_to_end_of_input(*this) && content_length_.value_or(0) == 0) return {};
    if (content_length_ && *content_length_ > options.limits.max_body_bytes) {
        return body_too_large(content_length_, options.limits);
    }
    if (options.body == BodyHandling::parse && media_type_ == "multipart/form-data") {
        return read_multipart(source, options);
    }
    if (auto error = read_whole(source, options)) return error;
    if (options.body != BodyHandling::parse || body_.empty()) return {};
    if (media_type_ == "application/x-www-form-urlencoded") {
        Fields fields;
        const Error error = parse_urlencoded(body_, options.limits, fields);
        form_ = Params(std::move(fields));
        return error;
    }
    if (is_json_media_type(media_type_)) return parse_json(options);
    return {};
}

Error Request::read_whole(detail::BodySource& source, const RequestOptions& options) {
    body_.reserve(static_cast<std::size_t>(std::min<std::uint64_t>(
        content_length_.value_or(kInitialBodyReserve), kInitialBodyReserve)));
    return read_body_bytes(source, content_length_, options, [this](std::string_view chunk) {
        body_.append(chunk);
        return Error{};
    });
}

Error Request::read_multipart(detail::BodySource& source, const RequestOptions& options) {
    const auto boundary = boundary_from_content_type(content_type());
    if (!boundary) {
        return Error(Errc::bad_request, "multipart/form-data without a valid boundary parameter");
    }

    // Routes parser events: file parts to the upload store, the others to form fields.
    class FormCollector final : public MultipartHandler {
      public:
        FormCollector(UploadStore& store, Fields& fields) : store_(store), fields_(fields) {}
        Error on_part_begin(const PartHeaders& headers) override {
            in_file_ = headers.is_file();
            if (in_file_) return store_.begin(headers);
            fields_.emplace_back(headers.name, std::string());
            return {};
        }
        Error on_part_data(std::string_view chunk) override {
            if (in_file_) return store_.append(chunk);
            fields_.back().second.append(chunk);
            return {};
        }
        Error on_part_end() override { return in_file_ ? store_.end() : Error{}; }

      private:
        UploadStore& store_;
        Fields& fields_;
        bool in_file_ = false;
    };

    UploadOptions upload_options;
    upload_options.memory_threshold_bytes = options.limits.memory_threshold_bytes;
    upload_options.memory_budget_bytes = options.upload_memory_budget_bytes;
    upload_options.temp_directory = options.temp_directory;
    upload_options.sink_factory = options.upload_sink;
    UploadStore store(std::move(upload_options));
    Fields fields;
    FormCollector collector(store, fields);
    MultipartParser parser(*boundary, collector, options.limits);

    std::uint64_t fed = 0;
    Error error = read_body_bytes(source, content_length_, options, [&](std::string_view chunk) {
        fed += chunk.size();
        return parser.feed(chunk);
    });
    // An empty body (possible only without CONTENT_LENGTH) is no body, as CONTENT_LENGTH 0 is.
    if (!error && fed > 0) error = parser.finish();
    form_ = Params(std::move(fields));
    files_ = store.take_uploads();
    return error;
}

Error Request::parse_json(const RequestOptions& options) {
    if (json_nesting_exceeds(body_, options.max_json_depth)) {
        return Error(Errc::bad_request, "JSON body nested deeper than " +
                                            std::to_string(options.max_json_depth) + " levels");
    }
    try {
        json_ = nlohmann::json::parse(body_);
        has_json_ = true;
    } catch (const nlohmann::json::exception& e) {
        json_ = nullptr;
        return Error(Errc::bad_request, std::string("invalid JSON body: ") + e.what());
    }
    return {};
}

bool json_nesting_exceeds(std::string_view text, std::size_t max_depth) noexcept {
    std::size_t depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;  // the escaped byte cannot end the string
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        switch (c) {
            case '"':
                in_string = true;
                break;
            case '[':
            case '{':
                if (++depth > max_depth) return true;
                break;
            case ']':
            case '}':
                if (depth > 0) --depth;
                break;
            default:
                break;
        }
    }
    return false;
}

// --- accessors ---

std::optional<std::string_view> Request::env(std::string_view name) const {
    const auto found = env_.find(name);
    if (found == env_.end()) return std::nullopt;
    return std::string_view(found->second);
}

std::string_view Request::env_or_empty(std::string_view name) const {
    return env(name).value_or(std::string_view{});
}

std::optional<std::uint16_t> Request::server_port() const {
    const auto port = env("SERVER_PORT");
    if (!port) return std::nullopt;
    return parse_as<std::uint16_t>(*port);
}

bool Request::is_https() const {
    const std::string_view https = env_or_empty("HTTPS");
    return syntax::iequals(https, "on") || https == "1" ||
           syntax::iequals(env_or_empty("REQUEST_SCHEME"), "https");
}

std::optional<std::string_view> Request::header(std::string_view name) const {
    return env(header_variable(name));
}

std::vector<std::pair<std::string, std::string>> Request::headers() const {
    std::vector<std::pair<std::string, std::string>> result;
    if (const auto type = env("CONTENT_TYPE")) result.emplace_back("Content-Type", *type);
    if (const auto length = env("CONTENT_LENGTH")) result.emplace_back("Content-Length", *length);
    for (const auto& [name, value] : env_) {
        const std::string_view variable = name;
        if (variable.starts_with("HTTP_") && variable.size() > 5) {
            result.emplace_back(header_name(variable.substr(5)), value);
        }
    }
    return result;
}

std::optional<std::string_view> Request::get(std::string_view name) const {
    if (auto value = form_.get(name)) return value;
    return query_.get(name);
}

const Upload* Request::file(std::string_view field) const noexcept {
    for (const Upload& upload : files_) {
        if (upload.field_name() == field) return &upload;
    }
    return nullptr;
}

}  // namespace cgikit
