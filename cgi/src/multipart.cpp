#include "cgikit/multipart.hpp"

#include <algorithm>
#include <cstring>

namespace cgikit {
namespace {

// "--boundary" may be followed by this much transport padding (RFC 2046 §5.1.1 LWSP) before its
// CRLF. Real senders use none; the bound keeps held_ small, and longer padding is an error (as in
// Go's mime/multipart, whose delimiter line must fit its read buffer).
constexpr std::size_t max_transport_padding = 64;

// RFC 2046 §5.1.1: boundary := 0*69<bchars> bcharsnospace.
constexpr std::size_t max_boundary_bytes = 70;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t';
}

bool is_alnum(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// RFC 9110 §5.6.2 tchar.
bool is_token_char(char c) noexcept {
    return is_alnum(c) || std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool is_token(std::string_view text) noexcept {
    return !text.empty() && std::all_of(text.begin(), text.end(), is_token_char);
}

// RFC 2046 §5.1.1 bcharsnospace.
bool is_boundary_char_nospace(char c) noexcept {
    return is_alnum(c) || std::strchr("'()+_,-./:=?", c) != nullptr;
}

bool is_valid_boundary(std::string_view boundary) noexcept {
    if (boundary.empty() || boundary.size() > max_boundary_bytes) return false;
    if (boundary.back() == ' ') return false;
    return std::all_of(boundary.begin(), boundary.end(),
                       [](char c) { return c == ' ' || is_boundary_char_nospace(c); });
}

char to_lower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c;
}

std::string lowercase(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), to_lower);
    return out;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return to_lower(x) == to_lower(y);
           });
}

std::string_view trim(std::string_view text) noexcept {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && is_space(text.back()))
        text.remove_suffix(1);
    return text;
}

void skip_spaces(std::string_view& text) noexcept {
    while (!text.empty() && is_space(text.front()))
        text.remove_prefix(1);
}

std::string_view take_token(std::string_view& text) noexcept {
    std::size_t length = 0;
    while (length < text.size() && is_token_char(text[length]))
        ++length;
    const std::string_view token = text.substr(0, length);
    text.remove_prefix(length);
    return token;
}

// Which backslash escapes a quoted-string honours.
enum class Escapes {
    // RFC 9110 §5.6.4 quoted-pair: '\' escapes any byte (Content-Type, written by careful clients).
    any_byte,
    // Only \" and \\: browsers put Windows paths like "C:\dir\a.txt" in Content-Disposition
    // without escaping backslashes (WHATWG HTML "multipart/form-data encoding" escapes only CR, LF
    // and '"', as %0D %0A %22), so any other backslash is taken literally.
    quote_and_backslash,
};

struct Parameter {
    std::string name;  // lowercased
    std::string value;
};

// `*( OWS ";" OWS [ name OWS "=" OWS ( token / quoted-string ) ] )` (RFC 9110 §5.6.6, with OWS
// around '=' and unquoted values of any visible bytes but '"' and ';' accepted, as sent in
// practice). nullopt if malformed or a parameter name repeats: two `name`s or `boundary`s are
// ambiguous, and parsers disagreeing on which one wins is a known filter bypass.
std::optional<std::vector<Parameter>> parse_parameters(std::string_view text, Escapes escapes) {
    std::vector<Parameter> parameters;
    skip_spaces(text);
    while (!text.empty()) {
        if (text.front() != ';') return std::nullopt;
        text.remove_prefix(1);
        skip_spaces(text);
        if (text.empty() || text.front() == ';') continue;  // empty parameter
        Parameter parameter;
        const std::string_view name = take_token(text);
        if (name.empty()) return std::nullopt;
        parameter.name = lowercase(name);
        skip_spaces(text);
        if (text.empty() || text.front() != '=') return std::nullopt;
        text.remove_prefix(1);
        skip_spaces(text);
        if (!text.empty() && text.front() == '"') {
            text.remove_prefix(1);
            bool closed = false;
            while (!text.empty()) {
                const char c = text.front();
                text.remove_prefix(1);
                if (c == '"') {
                    closed = true;
                    break;
                }
                if (c == '\\' && !text.empty() &&
                    (escapes == Escapes::any_byte || text.front() == '"' || text.front() == '\\')) {
                    parameter.value.push_back(text.front());
                    text.remove_prefix(1);
                    continue;
                }
                parameter.value.push_back(c);
            }
            if (!closed) return std::nullopt;
        } else {
            std::size_t length = 0;
            while (length < text.size()) {
                const auto c = static_cast<unsigned char>(text[length]);
                if (c <= 0x20 || c == 0x7F || c == '"' || c == ';') break;
                ++length;
            }
            if (length == 0) return std::nullopt;
            parameter.value = text.substr(0, length);
            text.remove_prefix(length);
        }
        skip_spaces(text);
        for (const Parameter& seen : parameters) {
            if (seen.name == parameter.name) return std::nullopt;
        }
        parameters.push_back(std::move(parameter));
    }
    return parameters;
}

const Parameter* find_parameter(const std::vector<Parameter>& parameters, std::string_view name) {
    for (const Parameter& parameter : parameters) {
        if (parameter.name == name) return &parameter;
    }
    return nullptr;
}

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// RFC 8187 §3.2 ext-value: charset "'" [ language ] "'" value-chars. UTF-8 and ISO-8859-1 are the
// charsets recipients must support (§3.2.1); the result is UTF-8. nullopt: malformed; "ignore":
// another charset, which the recipient skips (falling back to `filename`).
struct ExtValue {
    bool malformed = false;
    std::optional<std::string> value;
};

ExtValue decode_ext_value(std::string_view text) {
    const std::size_t first = text.find('\'');
    const std::size_t second = first == std::string_view::npos ? first : text.find('\'', first + 1);
    if (second == std::string_view::npos) return {true, std::nullopt};
    const std::string_view charset = text.substr(0, first);
    const bool latin1 = iequals(charset, "ISO-8859-1");
    if (!latin1 && !iequals(charset, "UTF-8")) return {false, std::nullopt};
    std::string value;
    for (std::size_t pos = second + 1; pos < text.size(); ++pos) {
        unsigned char byte = static_cast<unsigned char>(text[pos]);
        if (byte == '%') {
            const int high = pos + 1 < text.size() ? hex_value(text[pos + 1]) : -1;
            const int low = pos + 2 < text.size() ? hex_value(text[pos + 2]) : -1;
            if (high < 0 || low < 0) return {true, std::nullopt};
            byte = static_cast<unsigned char>(high * 16 + low);
            pos += 2;
        }
        if (latin1 && byte >= 0x80) {  // ISO-8859-1 byte == code point: two UTF-8 bytes
            value.push_back(static_cast<char>(0xC0 | (byte >> 6)));
            value.push_back(static_cast<char>(0x80 | (byte & 0x3F)));
        } else {
            value.push_back(static_cast<char>(byte));
        }
    }
    return {false, std::move(value)};
}

Error bad_part(std::string why) {
    return {Errc::bad_request, "multipart: " + std::move(why)};
}

// Fills `part` from a header block (lines joined by CRLF, without the final empty line).
Error parse_part_headers(std::string_view block, const Limits& limits, PartHeaders& part) {
    while (!block.empty()) {
        const std::size_t end = block.find("\r\n");
        std::string_view line = block.substr(0, end);
        block.remove_prefix(end == std::string_view::npos ? block.size() : end + 2);
        if (line.empty() || line.find('\r') != std::string_view::npos) {
            return bad_part("bare CR in part header");
        }
        if (is_space(line.front())) {  // obsolete line folding (RFC 5322 §2.2.3): unfold
            if (part.raw.empty()) return bad_part("part header starts with whitespace");
            part.raw.back().second += ' ';
            part.raw.back().second += trim(line);
            continue;
        }
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos || !is_token(line.substr(0, colon))) {
            return bad_part("malformed part header line");
        }
        part.raw.emplace_back(line.substr(0, colon), trim(line.substr(colon + 1)));
    }

    const std::pair<std::string, std::string>* disposition = nullptr;
    const std::pair<std::string, std::string>* content_type = nullptr;
    for (const auto& header : part.raw) {
        const bool is_disposition = iequals(header.first, "Content-Disposition");
        const bool is_content_type = iequals(header.first, "Content-Type");
        auto*& slot = is_disposition ? disposition : content_type;
        if (!is_disposition && !is_content_type) continue;
        if (slot != nullptr) return bad_part("repeated " + header.first + " in part header");
        slot = &header;
    }
    if (content_type != nullptr) part.content_type = content_type->second;

    // RFC 7578 §4.2: each part has `Content-Disposition: form-data; name="..."`.
    if (disposition == nullptr) return bad_part("part without Content-Disposition");
    std::string_view value = disposition->second;
    if (!iequals(take_token(value), "form-data")) {
        return bad_part("Content-Disposition type is not form-data");
    }
    const auto parameters = parse_parameters(value, Escapes::quote_and_backslash);
    if (!parameters) return bad_part("malformed Content-Disposition parameters");
    const Parameter* name = find_parameter(*parameters, "name");
    if (name == nullptr) return bad_part("Content-Disposition without name");
    part.name = name->value;
    if (const Parameter* filename = find_parameter(*parameters, "filename")) {
        part.filename = filename->value;
    }
    if (const Parameter* extended = find_parameter(*parameters, "filename*")) {
        ExtValue decoded = decode_ext_value(extended->value);
        if (decoded.malformed) return bad_part("malformed filename* parameter");
        if (decoded.value) part.filename = std::move(decoded.value);
    }
    if (part.filename && part.filename->size() > limits.max_filename_bytes) {
        return {Errc::too_large, "multipart: filename exceeds max_filename_bytes (" +
                                     std::to_string(limits.max_filename_bytes) + ")"};
    }
    return {};
}

class CollectingHandler final : public MultipartHandler {
  public:
    explicit CollectingHandler(std::vector<Part>& parts) : parts_(parts) {}

    Error on_part_begin(const PartHeaders& headers) override {
        parts_.push_back(Part{headers, {}});
        return {};
    }
    Error on_part_data(std::string_view chunk) override {
        parts_.back().data.append(chunk);
        return {};
    }
    Error on_part_end() override { return {}; }

  private:
    std::vector<Part>& parts_;
};

}  // namespace

std::optional<std::string> boundary_from_content_type(std::string_view content_type) {
    std::string_view rest = content_type;
    skip_spaces(rest);
    if (take_token(rest).empty() || rest.empty() || rest.front() != '/') return std::nullopt;
    rest.remove_prefix(1);
    if (take_token(rest).empty()) return std::nullopt;
    const auto parameters = parse_parameters(rest, Escapes::any_byte);
    if (!parameters) return std::nullopt;
    const Parameter* boundary = find_parameter(*parameters, "boundary");
    if (boundary == nullptr || !is_valid_boundary(boundary->value)) return std::nullopt;
    return boundary->value;
}

std::string media_type_essence(std::string_view content_type) {
    std::string_view rest = trim(content_type);
    const std::string_view type = take_token(rest);
    if (type.empty() || rest.empty() || rest.front() != '/') return {};
    rest.remove_prefix(1);
    const std::string_view subtype = take_token(rest);
    if (subtype.empty()) return {};
    skip_spaces(rest);
    if (!rest.empty() && rest.front() != ';') return {};
    return lowercase(type) + '/' + lowercase(subtype);
}

MultipartParser::MultipartParser(std::string_view boundary, MultipartHandler& handler,
                                 const Limits& limits)
    : handler_(handler), limits_(limits), delimiter_("\r\n--") {
    delimiter_.append(boundary);
    // The body may open with "--boundary" (no preceding CRLF): scan as if after a CRLF.
    held_ = "\r\n";
    held_implied_ = 2;
    // The scanner relies on the delimiter's only CR being its first byte.
    if (boundary.empty() || boundary.size() > max_boundary_bytes ||
        boundary.find_first_of("\r\n") != std::string_view::npos) {
        (void)fail(bad_part("invalid boundary (RFC 2046 §5.1.1: 1 to 70 characters)"));
    }
}

Error MultipartParser::fail(Error error) {
    state_ = State::failed;
    held_.clear();
    held_implied_ = 0;
    error_ = std::move(error);
    return error_;
}

Error MultipartParser::feed(std::string_view bytes) {
    if (state_ == State::failed) return error_;
    if (bytes.size() > limits_.max_body_bytes - total_bytes_) {
        return fail({Errc::too_large, "multipart: body exceeds max_body_bytes (" +
                                          std::to_string(limits_.max_body_bytes) + ")"});
    }
    total_bytes_ += bytes.size();
    while (!bytes.empty()) {
        Error error;
        switch (state_) {
            case State::preamble:
            case State::body:
                error = scan_content(bytes);
                break;
            case State::after_delimiter:
            case State::close_dash:
            case State::padding:
            case State::delimiter_cr:
                error = scan_delimiter_byte(bytes);
                break;
            case State::headers:
                error = scan_headers(bytes);
                break;
            case State::epilogue:  // RFC 2046 §5.1.1: the epilogue is to be ignored
                bytes = {};
                break;
            case State::failed:
                return error_;
        }
        if (error) return fail(std::move(error));
    }
    return {};
}

Error MultipartParser::finish() {
    if (state_ == State::failed) return error_;
    if (state_ != State::epilogue) {
        return fail(bad_part("body ends before the close delimiter (truncated)"));
    }
    return {};
}

Error MultipartParser::emit_data(std::string_view chunk) {
    if (!in_part_ || chunk.empty()) return {};  // preamble bytes are dropped
    if (chunk.size() > part_limit_ - part_bytes_) {
        return {Errc::too_large, in_file_part_ ? "multipart: file exceeds max_file_bytes (" +
                                                     std::to_string(limits_.max_file_bytes) + ")"
                                               : "multipart: field exceeds max_field_bytes (" +
                                                     std::to_string(limits_.max_field_bytes) + ")"};
    }
    part_bytes_ += chunk.size();
    return handler_.on_part_data(chunk);
}

Error MultipartParser::scan_content(std::string_view& input) {
    const std::string_view delimiter = delimiter_;
    if (!held_.empty()) {
        // held_ is a proper prefix of the delimiter: does the input continue it?
        const std::size_t matched = held_.size();
        const std::size_t length = std::min(delimiter.size() - matched, input.size());
        if (input.substr(0, length) == delimiter.substr(matched, length)) {
            input.remove_prefix(length);
            if (matched + length < delimiter.size()) {
                held_.append(delimiter.substr(matched, length));
            } else {
                held_ = delimiter_;
                state_ = State::after_delimiter;
            }
            return {};
        }
        // Content after all. No delimiter starts inside held_: its only CR is its first byte.
        std::string content = held_.substr(held_implied_);
        held_.clear();
        held_implied_ = 0;
        if (auto error = emit_data(content)) return error;
    }

    const char* const data = input.data();
    const std::size_t size = input.size();
    std::size_t pos = 0;
    while (pos < size) {
        const auto* cr = static_cast<const char*>(std::memchr(data + pos, '\r', size - pos));
        if (cr == nullptr) break;
        const auto at = static_cast<std::size_t>(cr - data);
        const std::size_t available = std::min(size - at, delimiter.size());
        if (std::memcmp(cr, delimiter.data(), available) != 0) {
            pos = at + 1;
            continue;
        }
        if (auto error = emit_data(input.substr(0, at))) return error;
        held_implied_ = 0;
        if (available < delimiter.size()) {  // the input ends inside a possible delimiter
            held_.assign(cr, available);
        } else {
            held_ = delimiter_;
            state_ = State::after_delimiter;
        }
        input.remove_prefix(at + available);
        return {};
    }
    if (auto error = emit_data(input)) return error;
    input = {};
    return {};
}

Error MultipartParser::not_a_delimiter() {
    // "\r\n--boundary" followed by other bytes is content (it is not a delimiter line); the byte
    // that decided it was not consumed and is scanned as content next.
    std::string content = held_.substr(held_implied_);
    held_.clear();
    held_implied_ = 0;
    state_ = in_part_ ? State::body : State::preamble;
    return emit_data(content);
}

Error MultipartParser::end_of_delimiter_line(State next) {
    held_.clear();
    held_implied_ = 0;
    state_ = next;
    if (!in_part_) return {};
    in_part_ = false;
    return handler_.on_part_end();
}

Error MultipartParser::scan_delimiter_byte(std::string_view& input) {
    const char c = input.front();
    switch (state_) {
        case State::after_delimiter:
            if (c == '-') {
                state_ = State::close_dash;
            } else if (is_space(c)) {
                state_ = State::padding;
            } else if (c == '\r') {
                state_ = State::delimiter_cr;
            } else {
                return not_a_delimiter();
            }
            break;
        case State::close_dash:
            if (c != '-') return not_a_delimiter();
            input.remove_prefix(1);
            return end_of_delimiter_line(State::epilogue);
        case State::padding:
            if (c == '\r') {
                state_ = State::delimiter_cr;
            } else if (!is_space(c)) {
                return not_a_delimiter();
            } else if (held_.size() - delimiter_.size() >= max_transport_padding) {
                return bad_part("delimiter line padding exceeds " +
                                std::to_string(max_transport_padding) + " bytes");
            }
            break;
        case State::delimiter_cr:
            if (c != '\n') return not_a_delimiter();
            input.remove_prefix(1);
            return end_of_delimiter_line(State::headers);
        default:
            break;
    }
    held_.push_back(c);
    input.remove_prefix(1);
    return {};
}

Error MultipartParser::scan_headers(std::string_view& input) {
    while (!input.empty()) {
        const std::size_t newline = input.find('\n');
        const std::size_t length = newline == std::string_view::npos ? input.size() : newline + 1;
        if (length >
            limits_.max_part_header_bytes - std::min(held_.size(), limits_.max_part_header_bytes)) {
            return {Errc::too_large, "multipart: part header exceeds max_part_header_bytes (" +
                                         std::to_string(limits_.max_part_header_bytes) + ")"};
        }
        held_.append(input.substr(0, length));
        input.remove_prefix(length);
        if (newline == std::string_view::npos) return {};
        if (held_.size() < 2 || held_[held_.size() - 2] != '\r') {
            return bad_part("bare LF in part header");
        }
        if (held_.size() == 2 || held_.ends_with("\r\n\r\n")) return begin_part();
    }
    return {};
}

Error MultipartParser::begin_part() {
    if (parts_ >= limits_.max_fields) {
        return {Errc::too_large, "multipart: more than max_fields (" +
                                     std::to_string(limits_.max_fields) + ") parts"};
    }
    // held_ is "\r\n" (no headers) or "line\r\n...line\r\n\r\n": drop the last two CRLFs.
    const std::string_view block =
        std::string_view(held_).substr(0, held_.size() == 2 ? 0 : held_.size() - 4);
    PartHeaders part;
    if (auto error = parse_part_headers(block, limits_, part)) return error;
    // body-part := MIME-part-headers [CRLF *OCTET] (RFC 2046 §5.1.1): the empty line may be
    // followed directly by "--boundary", the delimiter's CRLF being the header block's last one; a
    // part with no content (Go's mime/multipart takes it too). Scan as if after a CRLF.
    held_ = "\r\n";
    held_implied_ = 2;
    ++parts_;
    in_part_ = true;
    part_bytes_ = 0;
    in_file_part_ = part.is_file();
    part_limit_ = in_file_part_ ? limits_.max_file_bytes : limits_.max_field_bytes;
    state_ = State::body;
    return handler_.on_part_begin(part);
}

Error parse_multipart(std::string_view body, std::string_view boundary, const Limits& limits,
                      std::vector<Part>& out) {
    CollectingHandler handler(out);
    MultipartParser parser(boundary, handler, limits);
    if (auto error = parser.feed(body)) return error;
    return parser.finish();
}

}  // namespace cgikit
