#pragma once
// Validators and conditional requests (RFC 9110 §8.8, §13) for representations that are files.
#include <sys/stat.h>

#include <ctime>
#include <string>
#include <string_view>

#include "http/headers.hpp"

namespace cgikit::http {

// Strong entity-tag of a file: "\"<inode>-<size>-<mtime in ns>\"" in hex. It changes whenever the
// file is replaced (inode), resized or rewritten (mtime); two writes within one mtime tick that
// keep the size are the residual risk every stat-based validator shares.
std::string make_etag(const struct stat& file_status);

// Evaluates If-Match, If-Unmodified-Since, If-None-Match and If-Modified-Since in the order of
// RFC 9110 §13.2.2 against a representation that exists. Returns 0 to proceed, 304 (Not Modified)
// or 412 (Precondition Failed).
//  1. If-Match: none of the listed tags matches `etag` (strong comparison; "*" matches) -> 412.
//  2. Without If-Match, If-Unmodified-Since: modified after the date -> 412.
//  3. If-None-Match: a listed tag matches (weak comparison) or "*" -> 304 for GET/HEAD, else 412.
//  4. Without If-None-Match, for GET/HEAD, If-Modified-Since: not modified since -> 304.
// A date that is not a valid HTTP-date, a date field sent more than once, and an
// If-Modified-Since later than `now` are ignored (§13.1.3, §13.1.4). A syntactically invalid
// entity-tag list matches nothing.
int evaluate_preconditions(const Headers& request_headers, bool is_get_or_head,
                           std::string_view etag, std::time_t last_modified, std::time_t now);
// Same, relative to the current time.
int evaluate_preconditions(const Headers& request_headers, bool is_get_or_head,
                           std::string_view etag, std::time_t last_modified);

// If-Range (RFC 9110 §13.1.5): true when the Range may be honoured. An entity-tag must match `etag`
// strongly (weak tags never match); a date must equal `last_modified` exactly and be a strong
// validator, i.e. at least one second older than `now` (§8.8.2.2: the file cannot have changed
// again within the second it names). Anything else, including garbage, means "send it all".
bool if_range_allows(std::string_view if_range_value, std::string_view etag,
                     std::time_t last_modified, std::time_t now);
// Same, relative to the current time.
bool if_range_allows(std::string_view if_range_value, std::string_view etag,
                     std::time_t last_modified);

}  // namespace cgikit::http
