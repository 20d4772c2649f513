#pragma once
// The entry point of a CGI program:
//
//     int main() {
//         return cgikit::run([](cgikit::Request& request, cgikit::Response& response) {
//             response.set_content_type("text/plain; charset=utf-8");
//             response.write("Hello, " + request.get_text("name").value_or("world") + "\n");
//         });
//     }
//
// run() builds the Request from the environment and stdin, calls the handler, and sends the
// Response. A request that could not be read (malformed, over a limit) never reaches the handler:
// it is answered with its status (400, 413, 415) and a short message. An exception from the handler
// becomes a 500 with a short body, and its what() goes to stderr (the server's error log); the
// process never dies of it. The handler may also throw HttpError to answer with a given status.
#include <exception>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "cgikit/error.hpp"
#include "cgikit/request.hpp"
#include "cgikit/response.hpp"

namespace cgikit {

// Thrown by a handler that wants run() to answer with `status` (4xx or 5xx) and `what()` as the
// text body, e.g. throw HttpError(404, "no such entry").
class HttpError : public std::runtime_error {
  public:
    HttpError(int status, const std::string& message)
        : std::runtime_error(message), status_(status) {}
    int status() const noexcept { return status_; }

  private:
    int status_;
};

struct RunOptions {
    RequestOptions request;
    // Fills the body of an error response (its status is already set): a request that could not
    // be read (message: what was wrong, safe to show), an HttpError (its what()), an uncaught
    // exception (status 500, message empty: details go to the log only). The default writes
    // "<status> <reason>\n<message>\n" as text/plain.
    std::function<void(int status, std::string_view message, Response& response)> render_error;
    // Where the response goes (default: stdout).
    OutputWriter output;
    // Where the one-line diagnostics go (default: stderr).
    std::function<void(std::string_view line)> log;
};

using Handler = std::function<void(Request&, Response&)>;

// Runs `handler` on an already built request; what run() does after reading the environment.
// Returns the process exit code: 0 when a response was sent (also a 4xx), 1 after an uncaught
// exception or when the response could not be written.
int run_request(Request& request, const Handler& handler, const RunOptions& options = {});

// The whole program: Request::from_environment(options.request), then run_request().
int run_handler(const Handler& handler, const RunOptions& options = {});

// Accepts handlers of either shape: void(Request&, Response&) or Response(Request&) (a returned
// Response is sent as it is; build it with `Response response;`).
template <class F>
int run(F&& handler, const RunOptions& options = {}) {
    if constexpr (std::is_invocable_v<F&, Request&, Response&>) {
        return run_handler(Handler(std::forward<F>(handler)), options);
    } else {
        static_assert(std::is_invocable_r_v<Response, F&, Request&>,
                      "handler must be void(Request&, Response&) or Response(Request&)");
        return run_handler(
            [&handler](Request& request, Response& response) {
                Response made = handler(request);
                response.adopt(std::move(made));
            },
            options);
    }
}

}  // namespace cgikit
