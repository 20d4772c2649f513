#pragma once
// Result<T>: what a function that can fail returns when it also has a value to give. The project
// reports failures as std::error_code values, never exceptions, on every path that serves clients;
// a Result reads naturally with structured bindings:
//
//     auto [stream, ec] = TcpStream::connect(address, 2s);
//     if (ec) return ec;
#include <system_error>

namespace cgikit::net {

// A value and the error that may have prevented it (then `value` is default-constructed).
template <class T>
struct Result {
    T value{};
    std::error_code error;
};

}  // namespace cgikit::net
