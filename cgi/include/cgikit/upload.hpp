#pragma once
// Uploaded files (multipart parts with a filename). Each upload is kept in memory while it is at
// most Limits::memory_threshold_bytes, then streamed to an anonymous 0600 temp file
// (temp_file.hpp), so memory stays bounded whatever the upload size. All in-memory uploads together
// stay under a budget too (UploadOptions::memory_budget_bytes): past it, finished small uploads
// move to one shared spool file. Everything is released by RAII when the Upload (or the Request
// holding it) goes away, also after an error.
//
// A program that wants the bytes elsewhere (another service, a hash, a progress bar) installs an
// UploadSinkFactory before parsing: its sink then receives each chunk as it arrives and nothing is
// stored by the library.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cgikit/error.hpp"
#include "cgikit/limits.hpp"
#include "cgikit/multipart.hpp"
#include "cgikit/temp_file.hpp"

namespace cgikit {

// Receives one upload's content as it is parsed. A truthy Error from write() or finish() stops the
// parse with that error (its status answers the request).
class UploadSink {
  public:
    virtual ~UploadSink() = default;
    virtual Error write(std::string_view chunk) = 0;
    // After the last chunk, when the part ended properly (not called if the body was malformed).
    virtual Error finish() { return {}; }
};

// Called at the start of every file part with its headers: return a sink to take the content, or
// nullptr to let the library store it.
using UploadSinkFactory = std::function<std::unique_ptr<UploadSink>(const PartHeaders& part)>;

class Upload {
  public:
    enum class Storage {
        memory,  // small: the bytes are in memory_data()
        file,    // spooled to a temp file: see file_range()
        sink,    // handed to an UploadSink: the library kept nothing (size() is still right)
    };

    explicit Upload(const PartHeaders& part);
    Upload(Upload&&) noexcept;
    Upload& operator=(Upload&&) noexcept;
    ~Upload();

    // The form field's name, the filename as the client sent it (decoded bytes: may be "", contain
    // a path, '..', control bytes or invalid UTF-8: see safe_filename()), and the part's
    // Content-Type as sent ("text/plain" if absent, RFC 7578 §4.4; never trust it).
    const std::string& field_name() const noexcept { return field_name_; }
    const std::string& filename() const noexcept { return filename_; }
    const std::string& content_type() const noexcept { return content_type_; }
    // Every header line of the part, in order.
    const std::vector<std::pair<std::string, std::string>>& part_headers() const noexcept {
        return part_headers_;
    }
    // safe_basename(filename()).
    std::string safe_filename() const;

    std::uint64_t size() const noexcept { return size_; }
    Storage storage() const noexcept { return storage_; }

    // The content when storage() is memory (else empty).
    std::string_view memory_data() const noexcept { return memory_; }
    // Where the content is when storage() is file: `size` bytes at `offset` of `fd` (owned by the
    // upload; read it with pread, which leaves the file position alone).
    struct FileRange {
        int fd;
        std::uint64_t offset;
        std::uint64_t size;
    };
    std::optional<FileRange> file_range() const noexcept;
    // The sink that took the content (storage() sink), for the program to collect its results.
    UploadSink* sink() const noexcept { return sink_.get(); }

    // Up to `capacity` bytes from `offset` of the content; `got` is 0 only at the end.
    Error read_at(std::uint64_t offset, char* buffer, std::size_t capacity, std::size_t& got) const;
    // The whole content, if it is at most `max_bytes` (else Errc::too_large, `out` untouched).
    Error read_all(std::string& out, std::size_t max_bytes) const;
    // A stream over the content from its start; the Upload must outlive it. Null for sink storage.
    std::unique_ptr<std::istream> open() const;

    // Writes the content to a new file at `path` (mode 0600; an existing file is never replaced:
    // EEXIST is an error). A temp file made with O_TMPFILE is linked into place without copying.
    Error save_as(const std::string& path) const;

  private:
    friend class UploadStore;

    std::string field_name_;
    std::string filename_;
    std::string content_type_;
    std::vector<std::pair<std::string, std::string>> part_headers_;
    std::uint64_t size_ = 0;
    Storage storage_ = Storage::memory;
    std::string memory_;
    std::shared_ptr<TempFile> file_;
    std::uint64_t file_offset_ = 0;
    std::unique_ptr<UploadSink> sink_;
};

// A client filename made safe to use as a file name in a directory of the program's choice: the
// part after the last '/' or '\\', invalid UTF-8 replaced, control bytes removed, leading dots and
// spaces and trailing spaces and dots removed (no hidden files, no "." or ".."), at most 255 bytes
// (cut on a character boundary, keeping a short extension); "upload" if nothing is left. It does
// not make the name unique: never write over an existing file with it.
std::string safe_basename(std::string_view client_filename);

struct UploadOptions {
    // Each upload stays in memory up to this size (Limits::memory_threshold_bytes).
    std::size_t memory_threshold_bytes = Limits{}.memory_threshold_bytes;
    // All uploads in memory together: 1 MiB keeps a form with hundreds of small files from holding
    // them all in memory (1000 x 64 KiB would be 64 MiB); past it they go to the shared spool file.
    std::size_t memory_budget_bytes = std::size_t{1} << 20;
    // Each upload spooled to a file of its own keeps a descriptor open; past this many, large
    // uploads share the spool file too, so a form with hundreds of files cannot exhaust
    // RLIMIT_NOFILE (often 1024). Running out of descriptors anyway also falls back to the spool.
    std::size_t max_own_temp_files = 64;
    // Where temp files are made ("" = $TMPDIR or /tmp).
    std::string temp_directory;
    UploadSinkFactory sink_factory;
};

// Stores the file parts of one multipart body as they stream in: begin() at a file part's start,
// append() for each chunk, end() at its end. The request parser drives it; a program that runs
// MultipartParser itself can use it too.
class UploadStore {
  public:
    explicit UploadStore(UploadOptions options = {});
    UploadStore(UploadStore&&) noexcept;
    UploadStore& operator=(UploadStore&&) noexcept;
    ~UploadStore();

    Error begin(const PartHeaders& part);
    Error append(std::string_view chunk);
    Error end();

    std::vector<Upload>& uploads() noexcept { return uploads_; }
    std::vector<Upload> take_uploads() noexcept { return std::move(uploads_); }

  private:
    Error spill_current_to_file();
    Error move_current_to_spool();
    Error shared_spool(std::shared_ptr<TempFile>& out);

    UploadOptions options_;
    std::vector<Upload> uploads_;
    bool in_upload_ = false;
    std::size_t memory_in_use_ = 0;           // bytes of finished uploads held in memory
    std::size_t own_temp_files_ = 0;          // uploads spooled to a file of their own
    std::shared_ptr<TempFile> shared_spool_;  // small uploads past the budget, appended in turn
};

}  // namespace cgikit
