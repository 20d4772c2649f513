#pragma once
// Bounds on everything a client controls in a request body. Every parser checks them before it
// allocates, and a breach is an Errc::too_large error (413), never an abort. The defaults are on;
// a program raises only the bound it needs (e.g. max_file_bytes for an upload service).
#include <cstddef>

namespace cgikit {

struct Limits {
    // Whole body (and, for parse_urlencoded, the whole query string): 64 MiB covers photo and
    // document uploads yet keeps a hostile client from filling the disk through a temp file.
    std::size_t max_body_bytes = std::size_t{64} << 20;
    // Fields (urlencoded pairs, multipart parts): real forms have tens; 1000 stops hash/vector
    // flooding of the kind PHP's max_input_vars (also 1000) was introduced for (CVE-2011-4885).
    std::size_t max_fields = 1000;
    // One non-file value (a multipart part without filename; an urlencoded `name=value` piece,
    // counted encoded): 1 MiB is far above any textarea yet bounds what is held in memory per
    // field.
    std::size_t max_field_bytes = std::size_t{1} << 20;
    // The header block of one multipart part: browsers send ~100-300 bytes; 16 KiB leaves room for
    // long filenames and extra headers while bounding the only part of multipart that is buffered.
    std::size_t max_part_header_bytes = std::size_t{16} << 10;
    // A filename, decoded: NTFS and APFS allow 255 UTF-16 units, which browsers send as up to 765
    // UTF-8 bytes (CJK: 3 bytes a unit), so 1 KiB refuses no real file's name (safe_basename cuts
    // to Linux's 255-byte NAME_MAX for saving) while bounding what is kept per upload.
    std::size_t max_filename_bytes = 1024;
    // One uploaded file's content: by default the body limit, i.e. no tighter bound of its own.
    std::size_t max_file_bytes = std::size_t{64} << 20;
    // An upload is kept in memory up to this size, then spooled to an unlinked temp file: 64 KiB
    // keeps small files off the disk while bounding memory per upload (used by the upload layer).
    std::size_t memory_threshold_bytes = std::size_t{64} << 10;
};

}  // namespace cgikit
