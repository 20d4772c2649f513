#include "cgikit/run.hpp"

#include <unistd.h>

#include <optional>

namespace cgikit {
namespace {

void log_to_stderr(std::string_view line) {
    std::string text = "cgikit: ";
    text += line;
    text += '\n';
    (void)fd_writer(STDERR_FILENO)(text);
}

void default_render_error(int status, std::string_view message, Response& response) {
    std::string body = std::to_string(status);
    body += ' ';
    body += reason_phrase(status);
    body += '\n';
    if (!message.empty()) {
        body += message;
        body += '\n';
    }
    response.set_body("text/plain; charset=utf-8", std::move(body));
}

class Runner {
  public:
    Runner(const RunOptions& options)
        : render_(options.render_error ? options.render_error : default_render_error),
          log_(options.log ? options.log : log_to_stderr) {}

    // Replaces whatever the handler built with an error response, if the head is not out yet.
    bool answer_with_error(Response& response, int status, std::string_view message) {
        if (!response.reset()) return false;  // head already sent: only the log can tell
        if (status < 400 || status > 599) status = 500;
        (void)response.set_status(status);
        try {
            render_(status, message, response);
        } catch (...) {
            response.reset();
            (void)response.set_status(status);
            default_render_error(status, message, response);
        }
        return true;
    }

    const std::function<void(int, std::string_view, Response&)> render_;
    const std::function<void(std::string_view)> log_;
};

}  // namespace

int run_request(Request& request, const Handler& handler, const RunOptions& options) {
    Runner runner(options);
    Response response(options.output ? options.output : fd_writer(STDOUT_FILENO));
    if (request.method() == "HEAD") response.set_head_only(true);
    int exit_code = 0;

    if (!request.ok()) {
        const Error& error = request.error();
        runner.log_(std::to_string(error.http_status()) + " " + error.message);
        runner.answer_with_error(response, error.http_status(), error.message);
        return response.finish() ? 0 : 1;
    }

    try {
        handler(request, response);
    } catch (const HttpError& e) {
        if (!runner.answer_with_error(response, e.status(), e.what())) {
            runner.log_(std::string("HttpError after the response head was sent: ") + e.what());
            exit_code = 1;
        }
    } catch (const std::exception& e) {
        runner.log_(std::string("uncaught exception: ") + e.what());
        runner.answer_with_error(response, 500, "");
        exit_code = 1;
    } catch (...) {
        runner.log_("uncaught exception of unknown type");
        runner.answer_with_error(response, 500, "");
        exit_code = 1;
    }
    try {
        if (!response.finish()) exit_code = 1;
    } catch (...) {
        exit_code = 1;
    }
    return exit_code;
}

int run_handler(const Handler& handler, const RunOptions& options) {
    std::optional<Request> request;
    try {
        request.emplace(Request::from_environment(options.request));
    } catch (...) {
        // An exception from an upload sink or progress callback, or memory exhaustion outside the
        // request parser: nothing has been written yet, so a 500 can still be sent.
        std::string what = "exception of unknown type";
        try {
            throw;
        } catch (const std::exception& e) {
            what = e.what();
        } catch (...) {
        }
        const OutputWriter out = options.output ? options.output : fd_writer(STDOUT_FILENO);
        (void)out(
            "Status: 500 Internal Server Error\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            "500 Internal Server Error\n");
        const std::string line = "failed before the handler ran: " + what;
        if (options.log) {
            options.log(line);
        } else {
            log_to_stderr(line);
        }
        return 1;
    }
    return run_request(*request, handler, options);
}

}  // namespace cgikit
