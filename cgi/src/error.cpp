#include "cgikit/error.hpp"

namespace cgikit {
namespace {

class CgikitCategory final : public std::error_category {
  public:
    const char* name() const noexcept override { return "cgikit"; }

    std::string message(int value) const override {
        switch (static_cast<Errc>(value)) {
            case Errc::bad_request:
                return "bad request";
            case Errc::too_large:
                return "content too large";
            case Errc::unsupported_media_type:
                return "unsupported media type";
            case Errc::internal_error:
                return "internal error";
        }
        return "unknown cgikit error";
    }
};

}  // namespace

const std::error_category& error_category() noexcept {
    static const CgikitCategory category;
    return category;
}

std::error_code make_error_code(Errc errc) noexcept {
    return {static_cast<int>(errc), error_category()};
}

int http_status(std::error_code code) noexcept {
    if (!code) return 200;
    if (code.category() != error_category()) return 500;
    switch (static_cast<Errc>(code.value())) {
        case Errc::bad_request:
            return 400;
        case Errc::too_large:
            return 413;
        case Errc::unsupported_media_type:
            return 415;
        case Errc::internal_error:
            return 500;
    }
    return 500;
}

}  // namespace cgikit
