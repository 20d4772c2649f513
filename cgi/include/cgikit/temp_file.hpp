#pragma once
// Anonymous temporary files for upload spooling: created 0600 and close-on-exec, never visible in
// the directory (O_TMPFILE) or unlinked right after creation (mkstemp fallback), so the kernel
// frees them when the last descriptor closes: no file is left behind on success, error or crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "cgikit/error.hpp"

namespace cgikit {

// The one owner of a file descriptor: closes it exactly once.
class UniqueFd {
  public:
    UniqueFd() = default;
    explicit UniqueFd(int fd) noexcept : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
    UniqueFd& operator=(UniqueFd&& other) noexcept {
        if (this != &other) reset(other.release());
        return *this;
    }
    ~UniqueFd() { reset(); }

    int get() const noexcept { return fd_; }
    bool valid() const noexcept { return fd_ >= 0; }
    int release() noexcept { return std::exchange(fd_, -1); }
    void reset(int fd = -1) noexcept;

  private:
    int fd_ = -1;
};

// $TMPDIR if it is set to an absolute path, else /tmp.
std::string default_temp_directory();

// How TempFile::create makes the file nameless.
enum class TempFileMethod {
    automatic,         // O_TMPFILE where the file system has it, else mkostemp + unlink
    mkstemp_unlinked,  // always mkostemp + unlink (what older kernels and some file systems get)
};

class TempFile {
  public:
    TempFile() = default;

    // An empty anonymous file in `directory` ("" = default_temp_directory()). Errors: the
    // directory is missing or not writable, or out of descriptors: the code is the errno in the
    // system category (see is_out_of_descriptors), the message names the directory.
    static Error create(const std::string& directory, TempFile& out,
                        TempFileMethod method = TempFileMethod::automatic);

    int fd() const noexcept { return fd_.get(); }
    bool valid() const noexcept { return fd_.valid(); }
    std::uint64_t size() const noexcept { return size_; }
    // True when created with O_TMPFILE: save_as() can then give it a name without copying.
    bool linkable() const noexcept { return linkable_; }

    // Writes `bytes` at the end of the file.
    Error append(std::string_view bytes);
    // Reads up to `capacity` bytes at `offset` into `buffer`; `got` is 0 only at the end.
    Error read_at(std::uint64_t offset, char* buffer, std::size_t capacity, std::size_t& got) const;

    // Creates a new file at `path` (never replacing an existing one: EEXIST is an error) holding
    // bytes [offset, offset + length) of this file, mode 0600. The whole of a linkable file is
    // hard-linked through /proc/self/fd (no copy); otherwise the bytes are copied in the kernel
    // (copy_file_range) or, failing that, through a buffer. A failed copy leaves no file at `path`.
    Error save_range(std::uint64_t offset, std::uint64_t length, const std::string& path) const;

  private:
    UniqueFd fd_;
    std::uint64_t size_ = 0;
    bool linkable_ = false;
};

// Whether an error from TempFile::create means "out of file descriptors" (EMFILE / ENFILE), which
// the upload store answers by sharing one spool file instead of failing.
bool is_out_of_descriptors(const Error& error) noexcept;

}  // namespace cgikit
