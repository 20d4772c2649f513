#include "deploy_support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace cgikit::deploy {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string source_dir() {
    return CGIKIT_DEPLOY_SOURCE_DIR;
}

std::string examples_dir() {
    return CGIKIT_EXAMPLES_DIR;
}

std::string Site::url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port) + prefix + std::string(path);
}

std::string format_request(const Site& site, const HttpRequest& request) {
    std::string bytes = request.method + " " + site.prefix + request.path + " HTTP/1.1\r\n";
    bytes += "Host: 127.0.0.1:" + std::to_string(site.port) + "\r\nConnection: close\r\n";
    for (const auto& [name, value] : request.headers) {
        bytes += name + ": " + value + "\r\n";
    }
    if (!request.body.empty() || request.method == "POST") {
        bytes += "Content-Length: " + std::to_string(request.body.size()) + "\r\n";
    }
    return bytes + "\r\n" + request.body;
}

HttpResponse send(const Site& site, const HttpRequest& request, std::chrono::milliseconds timeout) {
    test::RawClient client(site.port);
    client.send(format_request(site, request));
    auto response = client.read_response(request.method == "HEAD", timeout);
    if (!response) {
        throw std::runtime_error(site.name + ": no response to " + request.method + " " +
                                 site.prefix + request.path);
    }
    return *response;
}

std::string multipart_body(const std::vector<FormPart>& parts, std::string_view boundary) {
    std::string body;
    for (const FormPart& part : parts) {
        body += "--" + std::string(boundary) + "\r\nContent-Disposition: form-data; name=\"" +
                part.name + "\"";
        if (part.filename) body += "; filename=\"" + *part.filename + "\"";
        body += "\r\n";
        if (!part.content_type.empty()) body += "Content-Type: " + part.content_type + "\r\n";
        body += "\r\n" + part.content + "\r\n";
    }
    return body + "--" + std::string(boundary) + "--\r\n";
}

std::string multipart_content_type(std::string_view boundary) {
    return "multipart/form-data; boundary=" + std::string(boundary);
}

DatabaseDir::DatabaseDir() {
    // Sticky and world-writable like /tmp: the CGI user creates the files, the test reads them.
    ::chmod(dir_.path().c_str(), 01777);
}

std::unique_ptr<TestServer> start_cgikitd(const std::string& guestbook_db) {
    const nlohmann::json config = {
        {"root", source_dir() + "/www"},
        {"cgi",
         {{"bin", {{{"prefix", "/cgi-bin/"}, {"dir", examples_dir()}}}},
          {"env", {{"CGIKIT_GUESTBOOK_DB", guestbook_db}}},
          // 200 posts at once on a loaded 2-core machine: let them wait in line, never 503.
          {"queue_timeout", 120},
          {"timeout", 120}}},
    };
    TestServer::Options options;
    options.config_json = config.dump();
    return std::make_unique<TestServer>(options);
}

// ---------------------------------------------------------------- Apache

namespace {

constexpr const char* kApacheBinary = "/usr/sbin/apache2";
constexpr const char* kModulesDir = "/etc/apache2/mods-available";
// Every module the three snippets use, plus the event MPM (Debian's default) and mod_cgid, the
// CGI module for threaded MPMs. Their LoadModule lines come from Debian's own *.load files.
constexpr const char* kModules[] = {
    "mpm_event", "authz_core", "mime",       "dir",         "alias",          "env",
    "cgid",      "proxy",      "proxy_http", "slotmem_shm", "proxy_balancer", "lbmethod_byrequests",
};
// Start-up on a loaded machine takes well under a second; this bounds a hung one.
constexpr auto kStartDeadline = std::chrono::seconds(30);
// A graceful stop waits for in-flight requests; ours have ended by then.
constexpr auto kStopDeadline = std::chrono::seconds(15);
constexpr int kStartAttempts = 3;  // a "free" port can be taken before Apache binds it

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

bool port_accepts(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool connected =
        ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    ::close(fd);
    return connected;
}

// Waits up to `deadline` for `pid` to exit (a pidfd: waitpid cannot time out); reaps it if so.
bool wait_exit(pid_t pid, std::chrono::milliseconds deadline) {
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (pidfd >= 0) {
        pollfd ready{pidfd, POLLIN, 0};
        const int rc = ::poll(&ready, 1, static_cast<int>(deadline.count()));
        ::close(pidfd);
        if (rc <= 0) return false;
    }
    int status = 0;
    return ::waitpid(pid, &status, 0) == pid;
}

// Whether any process of process group `group` is still alive.
bool group_alive(pid_t group) {
    return ::kill(-group, 0) == 0 || errno == EPERM;
}

}  // namespace

std::string apache_binary() {
    return ::access(kApacheBinary, X_OK) == 0 ? kApacheBinary : "";
}

std::uint16_t free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(address.sin_port);
}

Apache::Apache(const std::string& site_config) {
    if (apache_binary().empty()) {
        throw std::runtime_error(
            "apache2 is not installed (Debian: apache2; scripts/install-deps.sh test installs it)");
    }
    std::string why;
    for (int attempt = 0; attempt < kStartAttempts; ++attempt) {
        if (start_on(free_port(), site_config, why)) return;
    }
    throw std::runtime_error("apache2 did not start: " + why);
}

bool Apache::start_on(std::uint16_t port, const std::string& site_config, std::string& why) {
    const std::string& dir = dir_.path();
    std::string conf = "# Generated by the cgikit deployment tests.\nServerRoot \"" + dir +
                       "\"\nListen 127.0.0.1:" + std::to_string(port) +
                       "\nServerName 127.0.0.1\nPidFile \"" + dir + "/httpd.pid\"\nErrorLog \"" +
                       dir + "/error.log\"\nLogLevel warn\nDefaultRuntimeDir \"" + dir +
                       "\"\nTypesConfig /etc/mime.types\n";
    // Started as root, Apache must be told whom to run as (Debian's www-data may be absent).
    if (::geteuid() == 0) conf += "User nobody\nGroup nogroup\n";
    for (const char* module : kModules) {
        conf += "Include " + std::string(kModulesDir) + "/" + module + ".load\n";
    }
    conf += "ScriptSock \"" + dir + "/cgid.sock\"\n";
    conf += "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b\" common\nCustomLog \"" + dir +
            "/access.log\" common\n";
    conf += site_config;
    const std::string conf_path = dir_.write("httpd.conf", conf);

    // The console (start-up errors before ErrorLog is open) goes to a file in the directory.
    const int console =
        ::open((dir + "/console.log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, console, 1);
    posix_spawn_file_actions_adddup2(&actions, console, 2);
    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
    posix_spawnattr_setpgroup(&attributes, 0);  // its own group: one kill reaches all its children
    std::vector<std::string> args{apache_binary(), "-f", conf_path, "-d", dir, "-D", "FOREGROUND"};
    std::vector<char*> argv;
    for (auto& arg : args) {
        argv.push_back(arg.data());
    }
    argv.push_back(nullptr);
    pid_t pid = -1;
    const int rc = ::posix_spawn(&pid, argv[0], &actions, &attributes, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    ::close(console);
    if (rc != 0) {
        why = "posix_spawn: " + std::string(std::strerror(rc));
        return false;
    }

    // Ready when the port accepts connections; failed when the process exits first.
    const auto deadline = Clock::now() + kStartDeadline;
    while (Clock::now() < deadline) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) {
            why = read_file(dir + "/console.log") + read_file(dir + "/error.log");
            return false;
        }
        if (port_accepts(port)) {
            pid_ = pid;
            port_ = port;
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // polling, with a deadline
    }
    ::kill(-pid, SIGKILL);
    wait_exit(pid, kStopDeadline);
    why = "port " + std::to_string(port) +
          " not accepting after 30 s: " + read_file(dir + "/error.log");
    return false;
}

std::string Apache::error_log() const {
    return read_file(dir_.path() + "/error.log");
}

bool Apache::stop() {
    if (pid_ < 0) return true;
    const pid_t pid = std::exchange(pid_, -1);
    ::kill(pid, SIGTERM);  // Apache's "stop": ends its children, the cgid daemon, then itself
    const bool graceful = wait_exit(pid, kStopDeadline);
    if (!graceful) {
        ::kill(-pid, SIGKILL);
        wait_exit(pid, kStopDeadline);
    }
    // Children are Apache's to reap; make sure none outlives the test.
    const auto deadline = Clock::now() + kStopDeadline;
    while (group_alive(pid) && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (group_alive(pid)) ::kill(-pid, SIGKILL);
    return graceful;
}

Apache::~Apache() {
    stop();
}

}  // namespace cgikit::deploy
