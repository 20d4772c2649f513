#pragma once
// Server: turns a Config into running workers. Startup (open logs, load MIME types, open the
// document root, bind listeners, drop privileges) throws ConfigError with a message for the user;
// once serving, errors are values handled per request. Signals: SIGTERM/SIGINT drain and stop
// (exit 0), SIGHUP reopens log files.
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "handlers/mime_types.hpp"
#include "log.hpp"
#include "net/unique_fd.hpp"
#include "worker.hpp"

namespace cgikit {

class Server {
  public:
    explicit Server(Config config);
    ~Server();

    // Validates what --check-config checks without binding anything.
    static void check(const Config& config);

    // Blocks SIGTERM/SIGINT/SIGHUP in the calling thread; run() takes them with sigwait. Call it
    // first thing in main(): from the moment "listening on" is logged a signal may arrive (from a
    // test, a supervisor, logrotate) and must not take its default action (death). Also ignores
    // SIGPIPE, so that no write (a log on a pipe, a socket) can kill the server.
    static void block_handled_signals();

    // Blocks until SIGTERM/SIGINT; returns the process exit code.
    int run();

  private:
    Config config_;
    LogFile access_log_;
    LogFile error_log_;
    handlers::MimeTypes mime_;
    net::unique_fd root_fd_;
    std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace cgikit
