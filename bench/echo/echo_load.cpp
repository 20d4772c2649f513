// echo_load: a closed-loop load generator for the example time-stamp server (server/examples).
//
//   echo_load --tcp HOST:PORT --clients N [--session M] [--warmup S] [--duration S]
//             [--server-pid PID]
//
// N clients at once, each in a loop: connect, send M messages one after the other (each answered
// before the next is sent), close, start again. One thread drives them all with epoll, so the
// generator needs one core whatever N is. Latency is per message, from its send to its whole
// reply, and includes any wait in the server's listen backlog. With --server-pid, the CPU time
// and memory of the server's process tree are measured too.
//
// Clients close with a reset (SO_LINGER 0) rather than a FIN: the side that closes first keeps
// each connection in TIME_WAIT for 60 s, and at thousands of connections a second the generator
// would run out of its 28k ephemeral ports (and connect() slow down searching them) long before
// the server runs out of anything. The servers see the reset as the end of the connection.
//
// Prints one line of key=value pairs for bench/echo/run.sh.
#include <dirent.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "net/resolver.hpp"
#include "net/socket.hpp"
#include "net/unique_fd.hpp"

namespace {

using namespace cgikit;
using Clock = std::chrono::steady_clock;

struct Options {
    std::string endpoint;
    int clients = 1;
    int session = 10;  // messages per connection
    double warmup_seconds = 1;
    double duration_seconds = 5;
    pid_t server_pid = 0;
};

constexpr std::string_view message = "the quick brown fox\n";

// ---- the server's process tree: memory and CPU time ------------------------------------------

// The server and its descendants. Children hang off the thread that forked them, so every
// thread's list is read.
std::vector<pid_t> process_tree(pid_t root) {
    std::vector<pid_t> tree{root};
    for (std::size_t i = 0; i < tree.size(); ++i) {
        const std::string tasks = "/proc/" + std::to_string(tree[i]) + "/task/";
        DIR* directory = ::opendir(tasks.c_str());
        if (directory == nullptr) continue;
        while (const dirent* task = ::readdir(directory)) {
            if (task->d_name[0] == '.') continue;
            std::ifstream children(tasks + task->d_name + "/children");
            pid_t child = 0;
            while (children >> child)
                tree.push_back(child);
        }
        ::closedir(directory);
    }
    return tree;
}

long field_kib(const std::string& path, std::string_view key) {
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
        if (line.starts_with(key)) return std::strtol(line.c_str() + key.size(), nullptr, 10);
    }
    return 0;
}

struct TreeMemory {
    long rss_kib = 0;
    long pss_kib = 0;
    int processes = 0;
    int threads = 0;
};

TreeMemory tree_memory(pid_t root, bool with_pss) {
    TreeMemory memory;
    for (const pid_t pid : process_tree(root)) {
        const std::string proc = "/proc/" + std::to_string(pid);
        memory.rss_kib += field_kib(proc + "/status", "VmRSS:");
        memory.threads += static_cast<int>(field_kib(proc + "/status", "Threads:"));
        if (with_pss) memory.pss_kib += field_kib(proc + "/smaps_rollup", "Pss:");
        ++memory.processes;
    }
    return memory;
}

// CPU time of the tree in clock ticks: every live process's own, plus what the root's reaped
// children used (cutime, cstime) - so a fork model's short-lived children count too.
long long tree_cpu_ticks(pid_t root) {
    long long ticks = 0;
    for (const pid_t pid : process_tree(root)) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        const auto close = text.rfind(')');
        if (close == std::string::npos) continue;
        // Fields after the command: state(3) ... utime(14) stime(15) cutime(16) cstime(17).
        std::istringstream fields(text.substr(close + 2));
        std::string skip;
        for (int field = 3; field < 14; ++field)
            fields >> skip;
        long long utime = 0, stime = 0, cutime = 0, cstime = 0;
        fields >> utime >> stime >> cutime >> cstime;
        ticks += utime + stime + (pid == root ? cutime + cstime : 0);
    }
    return ticks;
}

double thread_cpu_seconds() {
    rusage usage{};
    ::getrusage(RUSAGE_THREAD, &usage);
    const auto seconds = [](const timeval& t) {
        return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
    };
    return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// ---- the clients ------------------------------------------------------------------------------

enum class ClientState { connecting, awaiting_reply };

struct Client {
    net::TcpStream stream;
    ClientState state = ClientState::connecting;
    int sent_in_session = 0;
    Clock::time_point sent_at;
    std::string received;
};

struct Tally {
    std::vector<std::uint32_t> latencies_us;
    std::uint64_t messages = 0;
    std::uint64_t sessions = 0;
    std::uint64_t errors = 0;
    double generator_cpu_seconds = 0;  // this thread's, during the measurement
};

class LoadGenerator {
  public:
    LoadGenerator(const Options& options, net::SocketAddress server)
        : options_(options), server_(server), epoll_(::epoll_create1(EPOLL_CLOEXEC)) {
        clients_.resize(static_cast<std::size_t>(options.clients));
    }

    Tally run(Clock::time_point measure_from, Clock::time_point measure_until) {
        measure_from_ = measure_from;
        std::optional<double> cpu_at_start;
        for (std::size_t i = 0; i < clients_.size(); ++i)
            start_session(i);
        std::vector<epoll_event> events(1024);
        for (auto now = Clock::now(); now < measure_until; now = Clock::now()) {
            if (!cpu_at_start && now >= measure_from) cpu_at_start = thread_cpu_seconds();
            const int count =
                ::epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()), 10);
            const auto after_wait = Clock::now();
            for (int i = 0; i < count; ++i)
                on_event(events[i].data.u64, after_wait);
            // Clients whose connect() could not even start try again, once per round.
            std::vector<std::size_t> retry;
            retry.swap(unstarted_);
            for (const std::size_t index : retry)
                start_session(index);
        }
        tally_.generator_cpu_seconds = thread_cpu_seconds() - cpu_at_start.value_or(0);
        return std::move(tally_);
    }

  private:
    bool measuring(Clock::time_point when) const { return when >= measure_from_; }

    void start_session(std::size_t index) {
        Client& client = clients_[index];
        client = Client{};
        auto [stream, ec] = net::TcpStream::start_connect(server_);
        if (ec) {
            ++tally_.errors;
            unstarted_.push_back(index);
            return;
        }
        client.stream = std::move(stream);
        (void)client.stream.set_no_delay(true);
        const ::linger reset_on_close{1, 0};
        ::setsockopt(client.stream.fd(), SOL_SOCKET, SO_LINGER, &reset_on_close,
                     sizeof reset_on_close);
        watch(EPOLL_CTL_ADD, index, EPOLLOUT);
    }

    void watch(int op, std::size_t index, std::uint32_t events) {
        epoll_event event{};
        event.events = events;
        event.data.u64 = index;
        ::epoll_ctl(epoll_.get(), op, clients_[index].stream.fd(), &event);
    }

    void fail(std::size_t index, Clock::time_point now) {
        if (measuring(now)) ++tally_.errors;
        restart(index);
    }

    void restart(std::size_t index) {
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, clients_[index].stream.fd(), nullptr);
        (void)clients_[index].stream.close();
        start_session(index);
    }

    bool send_message(std::size_t index, Clock::time_point now) {
        Client& client = clients_[index];
        auto [sent, ec] = client.stream.send(message);
        if (ec || sent != message.size()) return false;  // 20 bytes always fit an empty buffer
        client.sent_at = now;
        ++client.sent_in_session;
        return true;
    }

    void on_event(std::size_t index, Clock::time_point now) {
        Client& client = clients_[index];
        if (client.state == ClientState::connecting) {
            if (client.stream.take_error() || !send_message(index, now)) return fail(index, now);
            client.state = ClientState::awaiting_reply;
            watch(EPOLL_CTL_MOD, index, EPOLLIN);
            return;
        }
        char buffer[4096];
        auto [received, ec] = client.stream.recv(buffer);
        if (ec == std::errc::operation_would_block) return;
        if (ec || received == 0) return fail(index, now);
        client.received.append(buffer, received);
        if (client.received.back() != '\n') return;  // the rest of the reply is on its way
        const bool reply_ok = client.received.ends_with("] " + std::string(message));
        client.received.clear();
        if (!reply_ok) return fail(index, now);
        if (measuring(client.sent_at)) {
            ++tally_.messages;
            const auto latency =
                std::chrono::duration_cast<std::chrono::microseconds>(now - client.sent_at);
            tally_.latencies_us.push_back(static_cast<std::uint32_t>(latency.count()));
        }
        if (client.sent_in_session < options_.session) {
            if (!send_message(index, now)) fail(index, now);
            return;
        }
        if (measuring(now)) ++tally_.sessions;
        restart(index);
    }

    Options options_;
    net::SocketAddress server_;
    net::unique_fd epoll_;
    std::vector<Client> clients_;
    std::vector<std::size_t> unstarted_;
    Tally tally_;
    Clock::time_point measure_from_;
};

std::optional<Options> parse(int argc, char** argv) {
    Options options;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string_view flag = argv[i];
        const std::string value = argv[i + 1];
        if (flag == "--tcp") {
            options.endpoint = value;
        } else if (flag == "--clients") {
            options.clients = std::stoi(value);
        } else if (flag == "--session") {
            options.session = std::stoi(value);
        } else if (flag == "--warmup") {
            options.warmup_seconds = std::stod(value);
        } else if (flag == "--duration") {
            options.duration_seconds = std::stod(value);
        } else if (flag == "--server-pid") {
            options.server_pid = std::stoi(value);
        } else {
            return std::nullopt;
        }
    }
    if (options.endpoint.empty() || options.clients < 1 || options.session < 1 || argc % 2 == 0) {
        return std::nullopt;
    }
    return options;
}

double percentile_ms(const std::vector<std::uint32_t>& sorted, double fraction) {
    if (sorted.empty()) return 0;
    const auto rank = static_cast<std::size_t>(fraction * static_cast<double>(sorted.size() - 1));
    return static_cast<double>(sorted[rank]) / 1000.0;
}

Clock::duration seconds(double value) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(value));
}

}  // namespace

int main(int argc, char** argv) {
    const auto options = parse(argc, argv);
    if (!options) {
        std::fprintf(stderr,
                     "usage: echo_load --tcp HOST:PORT --clients N [--session M] [--warmup S] "
                     "[--duration S] [--server-pid PID]\n");
        return 2;
    }
    auto [server, ec] = net::resolve_endpoint(options->endpoint);
    if (ec) {
        std::fprintf(stderr, "echo_load: %s: %s\n", options->endpoint.c_str(),
                     ec.message().c_str());
        return 1;
    }
    const auto measure_from = Clock::now() + seconds(options->warmup_seconds);
    const auto measure_until = measure_from + seconds(options->duration_seconds);

    // The server's tree, from another thread: CPU ticks at the start and the end of the
    // measurement, RSS every 200 ms in between, PSS at the end.
    const pid_t server_pid = options->server_pid;
    TreeMemory peak;
    TreeMemory at_end;
    long long server_ticks = 0;
    std::thread sampler([&] {
        if (server_pid <= 0) return;
        std::this_thread::sleep_until(measure_from);
        const long long ticks_at_start = tree_cpu_ticks(server_pid);
        while (Clock::now() < measure_until) {
            const TreeMemory now = tree_memory(server_pid, false);
            peak.rss_kib = std::max(peak.rss_kib, now.rss_kib);
            peak.processes = std::max(peak.processes, now.processes);
            peak.threads = std::max(peak.threads, now.threads);
            std::this_thread::sleep_for(std::chrono::milliseconds(200));
        }
        server_ticks = tree_cpu_ticks(server_pid) - ticks_at_start;
        at_end = tree_memory(server_pid, true);
    });

    LoadGenerator generator(*options, server.front());
    Tally tally = generator.run(measure_from, measure_until);
    sampler.join();

    std::sort(tally.latencies_us.begin(), tally.latencies_us.end());
    const double duration = options->duration_seconds;
    const double server_cpu_seconds =
        static_cast<double>(server_ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double messages = static_cast<double>(tally.messages);
    std::printf(
        "clients=%d session=%d messages_per_s=%.0f sessions_per_s=%.0f p50_ms=%.2f p99_ms=%.2f "
        "max_ms=%.2f errors=%llu server_cpu_pct=%.0f server_cpu_us_per_message=%.1f "
        "generator_cpu_pct=%.0f peak_rss_mib=%.1f pss_mib=%.1f peak_processes=%d "
        "peak_threads=%d\n",
        options->clients, options->session, messages / duration,
        static_cast<double>(tally.sessions) / duration, percentile_ms(tally.latencies_us, 0.50),
        percentile_ms(tally.latencies_us, 0.99), percentile_ms(tally.latencies_us, 1.0),
        static_cast<unsigned long long>(tally.errors), 100 * server_cpu_seconds / duration,
        messages > 0 ? 1e6 * server_cpu_seconds / messages : 0.0,
        100 * tally.generator_cpu_seconds / duration, static_cast<double>(peak.rss_kib) / 1024,
        static_cast<double>(at_end.pss_kib) / 1024, peak.processes, peak.threads);
    return 0;
}
