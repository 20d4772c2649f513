// cgikitd: argv -> Config -> Server -> run(). Startup errors: one message, exit code 2.
#include <cstdio>
#include <exception>

#include "config.hpp"
#include "server.hpp"

int main(int argc, char** argv) {
    using cgikit::CommandLine;
    // Before anything else, so that no thread ever has these signals unblocked (see server.hpp).
    cgikit::Server::block_handled_signals();
    try {
        CommandLine cl = cgikit::parse_command_line(argc, argv);
        switch (cl.action) {
            case CommandLine::Action::Help:
                std::fputs(cgikit::usage_text().c_str(), stdout);
                return 0;
            case CommandLine::Action::Version:
                std::printf("cgikitd %s\n", CGIKIT_VERSION);
                return 0;
            case CommandLine::Action::CheckConfig:
                cgikit::Server::check(cl.config);
                std::puts("configuration OK");
                return 0;
            case CommandLine::Action::Serve:
                break;
        }
        cgikit::Server server(std::move(cl.config));
        return server.run();
    } catch (const cgikit::ConfigError& e) {
        std::fprintf(stderr, "cgikitd: %s\n", e.what());
        return 2;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "cgikitd: fatal: %s\n", e.what());
        return 1;
    }
}
