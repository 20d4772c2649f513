#pragma once
// Small HTML error responses: every error status the server produces itself gets a short body
// saying what happened (never anything from the request echoed back).
#include "http/response.hpp"

namespace cgikit::handlers {

http::Response error_response(int status);

}  // namespace cgikit::handlers
