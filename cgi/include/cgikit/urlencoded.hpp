#pragma once
// application/x-www-form-urlencoded, exactly as the WHATWG URL Standard defines it (§5.1 parser,
// §5.2 serializer; https://url.spec.whatwg.org/#concept-urlencoded-parser): used for query strings
// and for form bodies. Parsing splits on '&' only (never ';'), skips empty pieces, splits each
// piece at its first '=' (a piece without '=' is a name with value ""), turns '+' into a space and
// percent-decodes, leaving any '%' not followed by two hex digits as it is. Order and duplicates
// are kept; the result is bytes (NUL included), not necessarily UTF-8 (see utf8.hpp).
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgikit/error.hpp"
#include "cgikit/limits.hpp"

namespace cgikit {

// Name/value pairs in the order they were sent, duplicates kept.
using Fields = std::vector<std::pair<std::string, std::string>>;

// Percent-decoding (WHATWG URL §1.3 "percent-decode"): "%XX" with two hex digits becomes that byte;
// every other byte, including a lone or malformed '%', is kept as is. '+' is NOT a space here.
std::string percent_decode(std::string_view input);

// Decoding of one urlencoded name or value: '+' becomes a space, then percent_decode.
std::string form_decode(std::string_view input);

// The urlencoded byte serializer (WHATWG URL §5.2): keeps ALPHA / DIGIT / "*-._", writes a space as
// '+', and every other byte as "%XX" (uppercase hex). form_decode(form_encode(s)) == s for all s.
std::string form_encode(std::string_view input);
// "name=value&name=value..." from pairs, each side form_encode()d.
std::string form_encode(const Fields& fields);

// Parses the whole input with no limits (for trusted input and tests).
Fields parse_urlencoded(std::string_view input);

// Parses input, appending the fields to `out`. Bounds (checked before allocating): input size <=
// max_body_bytes, each encoded piece ("name=value") <= max_field_bytes, out.size() <= max_fields
// (so a query string and a body parsed into the same `out` share the bound). On error `out` holds
// the fields before the offending one and the error is Errc::too_large.
Error parse_urlencoded(std::string_view input, const Limits& limits, Fields& out);

// Incremental parser for a body streamed from stdin in bounded memory: it holds at most one
// incomplete piece (<= max_field_bytes) plus the decoded fields. Same result as parse_urlencoded
// however the input is split into feed() calls.
class UrlencodedParser {
  public:
    explicit UrlencodedParser(const Limits& limits = {});

    // Consumes all of `bytes`. Falsy: need more (or finish()). An error is sticky: every later
    // feed()/finish() returns it again.
    Error feed(std::string_view bytes);
    // End of input: completes the last piece. Falsy: done, fields() is the result.
    Error finish();

    const Fields& fields() const noexcept { return fields_; }
    Fields take_fields() noexcept { return std::move(fields_); }

  private:
    Error complete_piece(std::string_view piece);

    Limits limits_;
    Fields fields_;
    std::string pending_;  // the bytes of the current piece not yet ended by '&'
    std::size_t total_bytes_ = 0;
    Error error_;
};

}  // namespace cgikit
