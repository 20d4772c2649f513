// SHA-256 against the FIPS 180-4 example vectors (NIST CSRC "SHA256.pdf", "SHA256ShortMsg") and
// streaming equivalence: any split of the input gives the same digest.
#include "cgikit/sha256.hpp"

#include <catch2/catch.hpp>
#include <string>

using cgikit::Sha256;
using cgikit::sha256_hex;

TEST_CASE("sha256: NIST example vectors", "[sha256]") {
    CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
          "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    CHECK(sha256_hex("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmn"
                     "opqklmnopqrlmnopqrsmnopqrstnopqrstu") ==
          "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
    CHECK(sha256_hex(std::string(1000000, 'a')) ==
          "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256: NIST short-message vectors", "[sha256]") {
    // SHA256ShortMsg.rsp, Len = 8 and Len = 16.
    CHECK(sha256_hex("\xd3") == "28969cdfa74a12c82f3bad960b0b000aca2ac329deea5c2328ebc6f2ba9802c1");
    CHECK(sha256_hex("\x11\xaf") ==
          "5ca7133fa735326081558ac312c620eeca9970d1e70a4b95533d956f072d1f98");
}

TEST_CASE("sha256: padding boundaries (55, 56, 63, 64, 65 bytes) against known digests",
          "[sha256]") {
    // Digests computed independently (coreutils sha256sum) of runs of 'a'.
    CHECK(sha256_hex(std::string(55, 'a')) ==
          "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
    CHECK(sha256_hex(std::string(56, 'a')) ==
          "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
    CHECK(sha256_hex(std::string(63, 'a')) ==
          "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34");
    CHECK(sha256_hex(std::string(64, 'a')) ==
          "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
    CHECK(sha256_hex(std::string(65, 'a')) ==
          "635361c48bb9eab14198e76ea8ab7f1a41685d6ad62aa9146d301d4f17eb0ae0");
}

TEST_CASE("sha256: any split of the input gives the same digest", "[sha256]") {
    std::string message;
    for (int i = 0; i < 300; ++i)
        message.push_back(static_cast<char>(i * 37 + 11));
    const std::string whole = sha256_hex(message);
    for (std::size_t cut = 0; cut <= message.size(); ++cut) {
        Sha256 hash;
        hash.update(std::string_view(message).substr(0, cut));
        hash.update(std::string_view(message).substr(cut));
        REQUIRE(hash.finish_hex() == whole);
    }
    Sha256 bytewise;
    for (char c : message)
        bytewise.update(&c, 1);
    CHECK(bytewise.finish_hex() == whole);
}

TEST_CASE("sha256: finish() starts a new message", "[sha256]") {
    Sha256 hash;
    hash.update("garbage");
    (void)hash.finish();
    hash.update("abc");
    CHECK(hash.finish_hex() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(cgikit::to_hex(hash.finish()) == sha256_hex(""));
}
