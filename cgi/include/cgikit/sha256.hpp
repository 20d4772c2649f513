#pragma once
// SHA-256 (FIPS 180-4 §6.2), streaming: update() any number of times, then finish(). Used to
// fingerprint uploads without holding them in memory.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace cgikit {

class Sha256 {
  public:
    static constexpr std::size_t digest_size = 32;
    static constexpr std::size_t block_size = 64;
    using Digest = std::array<std::uint8_t, digest_size>;

    Sha256() noexcept { reset(); }

    // Starts a new message.
    void reset() noexcept;
    void update(const void* data, std::size_t size) noexcept;
    void update(std::string_view bytes) noexcept { update(bytes.data(), bytes.size()); }
    // Pads the message (FIPS 180-4 §5.1.1) and returns the digest; the object then starts anew.
    Digest finish() noexcept;
    // finish() as 64 lower-case hex digits.
    std::string finish_hex();

  private:
    void compress(const std::uint8_t* block) noexcept;

    std::array<std::uint32_t, 8> state_{};
    std::array<std::uint8_t, block_size> buffer_{};
    std::size_t buffered_ = 0;
    std::uint64_t total_bytes_ = 0;
};

// Lower-case hex of any bytes (two digits per byte).
std::string to_hex(const std::uint8_t* data, std::size_t size);
inline std::string to_hex(const Sha256::Digest& digest) {
    return to_hex(digest.data(), digest.size());
}

// The digest of one whole message, as hex.
std::string sha256_hex(std::string_view bytes);

}  // namespace cgikit
