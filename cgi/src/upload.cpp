#include "cgikit/upload.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <istream>
#include <streambuf>

#include "cgikit/utf8.hpp"

namespace cgikit {
namespace {

// NAME_MAX on Linux and most file systems.
constexpr std::size_t kMaxBasenameBytes = 255;
// An extension longer than this is not worth keeping when a name must be shortened.
constexpr std::size_t kMaxKeptExtensionBytes = 16;
// The read buffer of Upload::open() streams.
constexpr std::size_t kStreamBufferBytes = 16 * 1024;

// A streambuf over Upload::read_at: reads forward, in kStreamBufferBytes pieces.
class UploadStreambuf final : public std::streambuf {
  public:
    explicit UploadStreambuf(const Upload& upload) : upload_(upload) {}

  protected:
    int_type underflow() override {
        if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
        std::size_t got = 0;
        if (upload_.read_at(offset_, buffer_.data(), buffer_.size(), got) || got == 0) {
            return traits_type::eof();
        }
        offset_ += got;
        setg(buffer_.data(), buffer_.data(), buffer_.data() + got);
        return traits_type::to_int_type(*gptr());
    }

  private:
    const Upload& upload_;
    std::uint64_t offset_ = 0;
    std::array<char, kStreamBufferBytes> buffer_;
};

class UploadIstream final : public std::istream {
  public:
    explicit UploadIstream(const Upload& upload) : std::istream(nullptr), buffer_(upload) {
        rdbuf(&buffer_);
    }

  private:
    UploadStreambuf buffer_;
};

// Cuts `text` to at most `max` bytes without splitting a UTF-8 sequence.
std::string_view cut_utf8(std::string_view text, std::size_t max) noexcept {
    if (text.size() <= max) return text;
    std::size_t end = max;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xc0) == 0x80)
        --end;
    return text.substr(0, end);
}

void release_memory(std::string& memory) noexcept {
    std::string().swap(memory);
}

}  // namespace

// --- Upload ---

Upload::Upload(const PartHeaders& part)
    : field_name_(part.name),
      filename_(part.filename.value_or("")),
      content_type_(part.content_type),
      part_headers_(part.raw) {}
Upload::Upload(Upload&&) noexcept = default;
Upload& Upload::operator=(Upload&&) noexcept = default;
Upload::~Upload() = default;

std::string Upload::safe_filename() const {
    return safe_basename(filename_);
}

std::optional<Upload::FileRange> Upload::file_range() const noexcept {
    if (storage_ != Storage::file || !file_) return std::nullopt;
    return FileRange{file_->fd(), file_offset_, size_};
}

Error Upload::read_at(std::uint64_t offset, char* buffer, std::size_t capacity,
                      std::size_t& got) const {
    got = 0;
    if (offset >= size_ || capacity == 0) return {};
    const std::uint64_t left = size_ - offset;
    const std::size_t want = left < capacity ? static_cast<std::size_t>(left) : capacity;
    switch (storage_) {
        case Storage::memory:
            std::memcpy(buffer, memory_.data() + offset, want);
            got = want;
            return {};
        case Storage::file:
            return file_->read_at(file_offset_ + offset, buffer, want, got);
        case Storage::sink:
            break;
    }
    return Error(Errc::internal_error, "upload content went to a sink and was not kept");
}

Error Upload::read_all(std::string& out, std::size_t max_bytes) const {
    if (storage_ == Storage::sink) {
        return Error(Errc::internal_error, "upload content went to a sink and was not kept");
    }
    if (size_ > max_bytes) {
        return Error(Errc::too_large, "upload is " + std::to_string(size_) + " bytes, over " +
                                          std::to_string(max_bytes));
    }
    std::string content(static_cast<std::size_t>(size_), '\0');
    std::size_t done = 0;
    while (done < content.size()) {
        std::size_t got = 0;
        if (auto error = read_at(done, content.data() + done, content.size() - done, got)) {
            return error;
        }
        if (got == 0) return Error(Errc::internal_error, "upload temp file shorter than its size");
        done += got;
    }
    out = std::move(content);
    return {};
}

std::unique_ptr<std::istream> Upload::open() const {
    if (storage_ == Storage::sink) return nullptr;
    return std::make_unique<UploadIstream>(*this);
}

Error Upload::save_as(const std::string& path) const {
    switch (storage_) {
        case Storage::file:
            return file_->save_range(file_offset_, size_, path);
        case Storage::memory: {
            UniqueFd target(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
            if (!target.valid()) {
                const int saved = errno;
                return Error(std::error_code(saved, std::system_category()),
                             "saving an upload as " + path + ": " + std::strerror(saved));
            }
            std::string_view left = memory_;
            while (!left.empty()) {
                const ssize_t n = ::write(target.get(), left.data(), left.size());
                if (n < 0 && errno == EINTR) continue;
                if (n < 0) {
                    const int saved = errno;
                    ::unlink(path.c_str());
                    return Error(std::error_code(saved, std::system_category()),
                                 "saving an upload as " + path + ": " + std::strerror(saved));
                }
                left.remove_prefix(static_cast<std::size_t>(n));
            }
            return {};
        }
        case Storage::sink:
            break;
    }
    return Error(Errc::internal_error, "upload content went to a sink and was not kept");
}

// --- safe_basename ---

std::string safe_basename(std::string_view client_filename) {
    const std::size_t slash = client_filename.find_last_of("/\\");
    if (slash != std::string_view::npos) client_filename.remove_prefix(slash + 1);
    std::string name;
    for (char c : to_valid_utf8(client_filename)) {
        const auto byte = static_cast<unsigned char>(c);
        if (byte >= 0x20 && byte != 0x7f) name.push_back(c);
    }
    const std::size_t first = name.find_first_not_of(". ");
    name.erase(0, first == std::string::npos ? name.size() : first);
    const std::size_t last = name.find_last_not_of(". ");
    name.erase(last == std::string::npos ? 0 : last + 1);
    if (name.empty()) return "upload";
    if (name.size() <= kMaxBasenameBytes) return name;

    std::string_view extension;
    const std::size_t dot = name.rfind('.');
    if (dot != std::string::npos && name.size() - dot <= kMaxKeptExtensionBytes) {
        extension = std::string_view(name).substr(dot);
    }
    std::string shortened(cut_utf8(std::string_view(name).substr(0, name.size() - extension.size()),
                                   kMaxBasenameBytes - extension.size()));
    const std::size_t stem_end = shortened.find_last_not_of(". ");
    shortened.erase(stem_end == std::string::npos ? 0 : stem_end + 1);
    if (shortened.empty()) shortened = "upload";
    shortened += extension;
    return shortened;
}

// --- UploadStore ---

UploadStore::UploadStore(UploadOptions options) : options_(std::move(options)) {}
UploadStore::UploadStore(UploadStore&&) noexcept = default;
UploadStore& UploadStore::operator=(UploadStore&&) noexcept = default;
UploadStore::~UploadStore() = default;

Error UploadStore::begin(const PartHeaders& part) {
    if (in_upload_) return Error(Errc::internal_error, "UploadStore::begin inside an upload");
    uploads_.emplace_back(part);
    in_upload_ = true;
    Upload& upload = uploads_.back();
    if (options_.sink_factory) {
        upload.sink_ = options_.sink_factory(part);
        if (upload.sink_) upload.storage_ = Upload::Storage::sink;
    }
    return {};
}

Error UploadStore::shared_spool(std::shared_ptr<TempFile>& out) {
    if (!shared_spool_) {
        auto spool = std::make_shared<TempFile>();
        if (auto error = TempFile::create(options_.temp_directory, *spool)) return error;
        shared_spool_ = std::move(spool);
    }
    out = shared_spool_;
    return {};
}

// The current upload outgrew the memory threshold: give it a temp file of its own (so that
// save_as() can link it without copying) or, past max_own_temp_files or out of descriptors, a place
// in the shared spool.
Error UploadStore::spill_current_to_file() {
    Upload& upload = uploads_.back();
    std::shared_ptr<TempFile> own;
    if (own_temp_files_ < options_.max_own_temp_files) {
        own = std::make_shared<TempFile>();
        if (auto error = TempFile::create(options_.temp_directory, *own)) {
            if (!is_out_of_descriptors(error)) return error;
            own.reset();
        } else {
            ++own_temp_files_;
        }
    }
    if (!own) {
        if (auto error = shared_spool(own)) return error;
    }
    upload.file_ = std::move(own);
    upload.file_offset_ = upload.file_->size();
    if (auto error = upload.file_->append(upload.memory_)) return error;
    release_memory(upload.memory_);
    upload.storage_ = Upload::Storage::file;
    return {};
}

// A finished small upload that does not fit the memory budget: append it to the shared spool.
Error UploadStore::move_current_to_spool() {
    Upload& upload = uploads_.back();
    std::shared_ptr<TempFile> spool;
    if (auto error = shared_spool(spool)) return error;
    upload.file_offset_ = spool->size();
    if (auto error = spool->append(upload.memory_)) return error;
    upload.file_ = std::move(spool);
    release_memory(upload.memory_);
    upload.storage_ = Upload::Storage::file;
    return {};
}

Error UploadStore::append(std::string_view chunk) {
    if (!in_upload_) return Error(Errc::internal_error, "UploadStore::append outside an upload");
    Upload& upload = uploads_.back();
    upload.size_ += chunk.size();
    switch (upload.storage_) {
        case Upload::Storage::sink:
            return upload.sink_->write(chunk);
        case Upload::Storage::memory:
            if (upload.size_ <= options_.memory_threshold_bytes) {
                upload.memory_.append(chunk);
                return {};
            }
            if (auto error = spill_current_to_file()) return error;
            return upload.file_->append(chunk);
        case Upload::Storage::file:
            return upload.file_->append(chunk);
    }
    return {};
}

Error UploadStore::end() {
    if (!in_upload_) return Error(Errc::internal_error, "UploadStore::end outside an upload");
    in_upload_ = false;
    Upload& upload = uploads_.back();
    switch (upload.storage_) {
        case Upload::Storage::sink:
            return upload.sink_->finish();
        case Upload::Storage::memory:
            if (memory_in_use_ + upload.memory_.size() > options_.memory_budget_bytes) {
                return move_current_to_spool();
            }
            memory_in_use_ += upload.memory_.size();
            if (upload.memory_.capacity() > upload.memory_.size() + upload.memory_.size() / 4) {
                upload.memory_.shrink_to_fit();
            }
            return {};
        case Upload::Storage::file:
            return {};
    }
    return {};
}

}  // namespace cgikit
