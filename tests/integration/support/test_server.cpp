#include "test_server.hpp"

#include <arpa/inet.h>
#include <dirent.h>
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
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace cgikit::test {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

std::string cgikitd_path() {
    return CGIKITD_PATH;
}
std::string fixtures_dir() {
    return CGIKIT_TEST_FIXTURES;
}

// ---------------------------------------------------------------- TempDir

TempDir::TempDir() {
    std::string pattern = (fs::temp_directory_path() / "cgikit-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    ::chmod(pattern.c_str(), 0755);
    path_ = pattern;
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& relative, const std::string& content,
                           int mode) const {
    fs::path p = fs::path(path_) / relative;
    fs::create_directories(p.parent_path());
    for (fs::path d = p.parent_path(); d.string().size() > path_.size(); d = d.parent_path()) {
        ::chmod(d.c_str(), 0755);
    }
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << content;
    out.close();
    ::chmod(p.c_str(), static_cast<mode_t>(mode));
    return p.string();
}

std::string TempDir::mkdir(const std::string& relative) const {
    fs::path p = fs::path(path_) / relative;
    fs::create_directories(p);
    ::chmod(p.c_str(), 0755);
    return p.string();
}

// ---------------------------------------------------------------- TestServer

namespace {

struct Pipe {
    int read = -1, write = -1;
    Pipe() {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
        read = fds[0];
        write = fds[1];
    }
};

pid_t spawn(const std::vector<std::string>& args, int out_fd, int err_fd) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&actions, out_fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_fd, 2);
    std::vector<char*> argv;
    for (const auto& a : args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_t pid = -1;
    int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0)
        throw std::runtime_error("posix_spawn cgikitd failed: " + std::string(std::strerror(rc)));
    return pid;
}

}  // namespace

TestServer::TestServer(Options options) {
    std::vector<std::string> args{cgikitd_path(),
                                  "--listen",
                                  options.ipv6 ? "[::1]:0" : "127.0.0.1:0",
                                  "--workers",
                                  std::to_string(options.workers),
                                  "--error-log",
                                  "-",
                                  "--access-log",
                                  "-"};
    if (options.config_json) {
        args.push_back("--config");
        args.push_back(config_dir_.write("cgikitd.json", *options.config_json));
    }
    if (!options.root.empty()) {
        args.push_back("--root");
        args.push_back(options.root);
    }
    for (auto& a : options.extra_args)
        args.push_back(a);

    Pipe out, err;
    pid_ = spawn(args, out.write, err.write);
    ::close(out.write);
    ::close(err.write);
    stdout_reader_ = std::thread([this, fd = out.read] { pump(fd, stdout_); });
    stderr_reader_ = std::thread([this, fd = err.read] { pump(fd, stderr_); });

    const std::string marker = "listening on http://";
    if (!wait_for(marker, stderr_, std::chrono::seconds(10))) {
        stop(SIGKILL);
        // The readers must be joined before the exception leaves: a joinable std::thread
        // destroyed during unwinding terminates the test process.
        if (stdout_reader_.joinable()) stdout_reader_.join();
        if (stderr_reader_.joinable()) stderr_reader_.join();
        throw std::runtime_error("cgikitd did not start: " + stderr_text());
    }
    std::string text = stderr_text();
    auto at = text.find(marker) + marker.size();
    auto end = text.find("/\n", at);
    std::string address = text.substr(at, end - at);
    port_ = static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

TestServer::~TestServer() {
    if (!exited_) stop(SIGKILL);
    if (stdout_reader_.joinable()) stdout_reader_.join();
    if (stderr_reader_.joinable()) stderr_reader_.join();
}

void TestServer::pump(int fd, std::string& sink) {
    char buf[8192];
    while (true) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        std::lock_guard lock(mutex_);
        sink.append(buf, static_cast<std::size_t>(n));
        changed_.notify_all();
    }
    ::close(fd);
    std::lock_guard lock(mutex_);
    ++pipes_closed_;
    changed_.notify_all();
}

bool TestServer::wait_for(const std::string& needle, std::string& haystack,
                          std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] {
        if (haystack.find(needle) != std::string::npos) return true;
        int status = 0;
        if (!exited_ && ::waitpid(pid_, &status, WNOHANG) == pid_) {
            exited_ = true;
            exit_status_ = status;
        }
        // Exited: nothing more will come once both pipes are drained (the server's last lines
        // may still be in them when its exit is seen).
        return exited_ && pipes_closed_ == 2;
    });
    return haystack.find(needle) != std::string::npos;
}

bool TestServer::wait_for_stderr(const std::string& needle, std::chrono::milliseconds timeout) {
    return wait_for(needle, stderr_, timeout);
}

bool TestServer::wait_for_stdout(const std::string& needle, std::chrono::milliseconds timeout) {
    return wait_for(needle, stdout_, timeout);
}

std::string TestServer::stderr_text() {
    std::lock_guard lock(mutex_);
    return stderr_;
}

std::string TestServer::stdout_text() {
    std::lock_guard lock(mutex_);
    return stdout_;
}

std::string TestServer::url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
}

void TestServer::send_signal(int signal) {
    if (!exited_) ::kill(pid_, signal);
}

int TestServer::stop(int signal, std::chrono::milliseconds timeout) {
    std::lock_guard lock(mutex_);
    if (exited_) return WIFEXITED(exit_status_) ? WEXITSTATUS(exit_status_) : -1;
    ::kill(pid_, signal);
    // waitpid cannot time out; poll a pidfd instead.
    int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid_, 0));
    if (pidfd >= 0) {
        pollfd p{pidfd, POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
        ::close(pidfd);
        if (rc == 0) ::kill(pid_, SIGKILL);
    }
    int status = 0;
    ::waitpid(pid_, &status, 0);
    exited_ = true;
    exit_status_ = status;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CommandResult run_cgikitd(const std::vector<std::string>& args) {
    std::vector<std::string> full{cgikitd_path()};
    full.insert(full.end(), args.begin(), args.end());
    Pipe out;
    pid_t pid = spawn(full, out.write, out.write);
    ::close(out.write);
    CommandResult result;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(out.read, buf, sizeof buf)) > 0)
        result.output.append(buf, static_cast<std::size_t>(n));
    ::close(out.read);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return result;
}

// ---------------------------------------------------------------- HTTP

namespace {
bool iequal(const std::string& a, const std::string& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    }
    return true;
}
}  // namespace

std::optional<std::string> HttpResponse::header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
        if (iequal(n, name)) return v;
    }
    return std::nullopt;
}

std::size_t HttpResponse::header_count(const std::string& name) const {
    std::size_t count = 0;
    for (const auto& h : headers)
        count += iequal(h.first, name) ? 1 : 0;
    return count;
}

RawClient::RawClient(std::uint16_t port, bool ipv6) {
    fd_ = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw std::runtime_error("socket failed");
    int rc;
    if (ipv6) {
        sockaddr_in6 a{};
        a.sin6_family = AF_INET6;
        a.sin6_port = htons(port);
        a.sin6_addr = in6addr_loopback;
        rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    } else {
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        rc = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    }
    if (rc != 0) throw std::runtime_error("connect failed: " + std::string(std::strerror(errno)));
}

RawClient::~RawClient() {
    if (fd_ >= 0) ::close(fd_);
}

void RawClient::send(const std::string& bytes) {
    std::size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::send(fd_, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the server may have closed; the test checks the response
        done += static_cast<std::size_t>(n);
    }
}

void RawClient::shutdown_write() {
    ::shutdown(fd_, SHUT_WR);
}

bool RawClient::fill(Clock::time_point deadline) {
    if (eof_) return false;
    auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left < 0) left = 0;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) return false;
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
        eof_ = true;
        return false;
    }
    buffer_.append(buf, static_cast<std::size_t>(n));
    return true;
}

std::optional<HttpResponse> RawClient::read_response(bool head_request,
                                                     std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::size_t head_end;
    while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
        if (!fill(deadline)) return std::nullopt;
    }
    HttpResponse r;
    std::istringstream head(buffer_.substr(0, head_end));
    std::string line;
    std::getline(head, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    auto sp1 = line.find(' ');
    auto sp2 = line.find(' ', sp1 + 1);
    r.version = line.substr(0, sp1);
    r.status = std::stoi(line.substr(sp1 + 1, sp2 - sp1 - 1));
    r.reason = sp2 == std::string::npos ? "" : line.substr(sp2 + 1);
    while (std::getline(head, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        auto colon = line.find(':');
        std::string value = line.substr(colon + 1);
        while (!value.empty() && value.front() == ' ')
            value.erase(0, 1);
        r.headers.emplace_back(line.substr(0, colon), value);
    }
    buffer_.erase(0, head_end + 4);

    bool no_body =
        head_request || r.status == 204 || r.status == 304 || (r.status >= 100 && r.status < 200);
    if (no_body) return r;
    if (auto te = r.header("Transfer-Encoding"); te && iequal(*te, "chunked")) {
        while (true) {
            std::size_t eol;
            while ((eol = buffer_.find("\r\n")) == std::string::npos) {
                if (!fill(deadline)) return std::nullopt;
            }
            std::size_t size = std::stoul(buffer_.substr(0, eol), nullptr, 16);
            while (buffer_.size() < eol + 2 + size + 2) {
                if (!fill(deadline)) return std::nullopt;
            }
            r.body += buffer_.substr(eol + 2, size);
            buffer_.erase(0, eol + 2 + size + 2);
            if (size == 0) break;
        }
    } else if (auto cl = r.header("Content-Length")) {
        std::size_t size = std::stoul(*cl);
        while (buffer_.size() < size) {
            if (!fill(deadline)) return std::nullopt;
        }
        r.body = buffer_.substr(0, size);
        buffer_.erase(0, size);
    } else {
        while (fill(deadline)) {
        }
        if (!eof_) return std::nullopt;
        r.body = std::move(buffer_);
        buffer_.clear();
    }
    return r;
}

std::optional<std::string> RawClient::read_until_close(std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    while (fill(deadline)) {
    }
    if (!eof_) return std::nullopt;
    std::string out = std::move(buffer_);
    buffer_.clear();
    return out;
}

bool RawClient::closed_by_server(std::chrono::milliseconds timeout) {
    return read_until_close(timeout).has_value();
}

bool server_has_read_everything(int client_fd, std::uint16_t server_port) {
    sockaddr_in local{};
    socklen_t length = sizeof local;
    if (::getsockname(client_fd, reinterpret_cast<sockaddr*>(&local), &length) != 0) return false;
    char wanted_local[16], wanted_remote[16];
    std::snprintf(wanted_local, sizeof wanted_local, "0100007F:%04X", server_port);
    std::snprintf(wanted_remote, sizeof wanted_remote, "0100007F:%04X", ntohs(local.sin_port));
    std::ifstream table("/proc/net/tcp");
    std::string line;
    while (std::getline(table, line)) {
        std::istringstream fields(line);
        std::string slot, local_address, remote_address, state, queues;
        fields >> slot >> local_address >> remote_address >> state >> queues;
        if (local_address != wanted_local || remote_address != wanted_remote) continue;
        return queues.ends_with(":00000000");  // tx_queue:rx_queue
    }
    return false;
}

HttpResponse request(std::uint16_t port, const std::string& raw_request, bool head_request) {
    RawClient client(port);
    client.send(raw_request);
    auto r = client.read_response(head_request);
    if (!r)
        throw std::runtime_error("no response to: " +
                                 raw_request.substr(0, raw_request.find('\r')));
    return *r;
}

// ---------------------------------------------------------------- /proc

int count_open_fds(pid_t pid) {
    int count = 0;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
         !ec && it != fs::directory_iterator(); it.increment(ec)) {
        ++count;
    }
    return count;
}

std::string read_proc_file(const std::string& path) {
    std::string content;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return content;
    char buffer[4096];
    while (true) {
        ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        content.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    return content;
}

std::vector<std::pair<pid_t, char>> child_processes(pid_t parent) {
    std::vector<std::pair<pid_t, char>> out;
    std::error_code ec;
    for (auto it = fs::directory_iterator("/proc", ec); !ec && it != fs::directory_iterator();
         it.increment(ec)) {
        std::string name = it->path().filename().string();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        std::string content = read_proc_file((it->path() / "stat").string());
        auto close = content.rfind(')');
        if (close == std::string::npos) continue;
        std::istringstream rest(content.substr(close + 2));
        char state;
        pid_t ppid;
        rest >> state >> ppid;
        if (ppid == parent) out.emplace_back(static_cast<pid_t>(std::stoi(name)), state);
    }
    return out;
}

}  // namespace cgikit::test
