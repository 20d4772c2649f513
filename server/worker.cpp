#include "worker.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "connection.hpp"

namespace cgikit {

namespace {
// When accept() fails for lack of descriptors, wait this long before trying again instead of
// spinning on a listener that stays readable.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
}  // namespace

class Worker::Acceptor final : public net::EventHandler {
  public:
    Acceptor(Worker& worker, int fd) : worker_(worker), fd_(fd) {}
    void on_events(std::uint32_t) override { worker_.accept_from(fd_); }
    int fd() const noexcept { return fd_; }

  private:
    Worker& worker_;
    int fd_;
};

class Worker::StopSignal final : public net::EventHandler {
  public:
    explicit StopSignal(Worker& worker)
        : worker_(worker), fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
    void on_events(std::uint32_t) override {
        std::uint64_t value = 0;
        [[maybe_unused]] ssize_t n = ::read(fd_.get(), &value, sizeof value);
        worker_.begin_drain();
    }
    void notify() noexcept {
        std::uint64_t one = 1;
        [[maybe_unused]] ssize_t n = ::write(fd_.get(), &one, sizeof one);
    }
    int fd() const noexcept { return fd_.get(); }

  private:
    Worker& worker_;
    net::unique_fd fd_;
};

Worker::Worker(const SharedState& shared, std::vector<ListenSocket> listeners, unsigned index)
    : shared_(shared),
      index_(index),
      runs_as_root_(::geteuid() == 0),
      router_(shared.config->cgi.mappings),
      listeners_(std::move(listeners)),
      stop_signal_(std::make_unique<StopSignal>(*this)),
      accept_retry_([this] {
          for (auto& a : acceptors_)
              accept_from(a->fd());
      }),
      drain_deadline_([this] {
          // Grace is over: whatever is still in flight is cut.
          while (!connections_.empty())
              connections_.back()->close_now();
          loop_.stop();
      }),
      file_cache_sweep_([this] {
          // Expired files leave the cache even when no request comes for them, so an idle worker
          // does not hold deleted files open.
          static_context_.file_cache.purge_expired(loop_.now());
          file_cache_sweep_.arm_after(loop_.timers(), handlers::OpenFileCache::kTimeToLive);
      }),
      reaper_(loop_, shared.config->cgi.kill_grace,
              [this](pid_t pid, int status) { child_reaped(pid, status); }) {
    static_context_.root_fd = shared.root_fd;
    static_context_.index_files = &shared.config->index_files;
    static_context_.mime = shared.mime;
    static_context_.log_error = [this](const http::Request& request, std::string_view message) {
        log_error("error", request.id, request.peer.remote_address, message);
    };
    if (stop_signal_->fd() < 0) throw std::runtime_error("eventfd failed");
    file_cache_sweep_.arm_after(loop_.timers(), handlers::OpenFileCache::kTimeToLive);
    loop_.add(stop_signal_->fd(), EPOLLIN, stop_signal_.get());
    for (auto& l : listeners_) {
        acceptors_.push_back(std::make_unique<Acceptor>(*this, l.fd.get()));
        loop_.add(l.fd.get(), EPOLLIN, acceptors_.back().get());
    }
}

Worker::~Worker() {
    // Connections unregister themselves; destroy them before the loop they reference.
    connections_.clear();
}

void Worker::run() {
    loop_.run([this] { after_batch(); });
    after_batch();
}

void Worker::request_stop() noexcept {
    stop_signal_->notify();
}

void Worker::accept_from(int listen_fd) {
    if (draining_) return;
    while (true) {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        int fd = ::accept4(listen_fd, reinterpret_cast<sockaddr*>(&addr), &len,
                           SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
                log_error("error", 0, "",
                          std::string("accept: ") + std::strerror(errno) + "; retrying shortly");
                // Make room: the oldest idle keep-alive connection is the cheapest to lose.
                if (idle_head_ != nullptr) idle_head_->close_now();
                accept_retry_.arm_after(loop_.timers(), kAcceptRetryDelay);
            }
            return;  // EAGAIN: the queue is empty
        }
        net::unique_fd client(fd);
        if (connections_.size() >= config().max_connections) {
            if (idle_head_ == nullptr) continue;  // nothing to shed: refuse this one
            idle_head_->close_now();
        }
        auto remote = net::SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&addr), len);
        http::Peer peer;
        peer.remote_address = remote.host();
        peer.remote_port = remote.port();
        // The local address is the listener's unless it is a wildcard.
        for (const auto& l : listeners_) {
            if (l.fd.get() != listen_fd) continue;
            std::string host = l.address.host();
            if (host == "0.0.0.0" || host == "::") {
                if (auto local = net::SocketAddress::local_of(fd)) {
                    peer.local_address = local->host();
                    peer.local_port = local->port();
                }
            } else {
                peer.local_address = std::move(host);
                peer.local_port = l.address.port();
            }
        }
        auto connection = std::make_unique<Connection>(*this, std::move(client), std::move(peer));
        Connection* raw = connection.get();
        raw->slot = connections_.size();
        connections_.push_back(std::move(connection));
        if (!raw->start()) raw->close_now();
    }
}

void Worker::begin_drain() {
    if (draining_) return;
    draining_ = true;
    for (auto& a : acceptors_)
        loop_.remove(a->fd());
    listeners_.clear();  // stop accepting: the kernel refuses new connections to this socket
    // Idle connections go now; busy ones close after their current response.
    for (std::size_t i = connections_.size(); i-- > 0;) {
        if (i < connections_.size()) connections_[i]->close_if_idle();
    }
    if (connections_.empty()) {
        loop_.stop();
        return;
    }
    drain_deadline_.arm_after(loop_.timers(), config().timeouts.shutdown_grace);
}

void Worker::after_batch() {
    if (!access_buffer_.empty()) {
        shared_.access_log->write(access_buffer_);
        access_buffer_.clear();
    }
    if (draining_ && connections_.empty()) loop_.stop();
}

void Worker::log_access(const http::Request& request, int status, std::uint64_t body_bytes) {
    if (!shared_.access_log->enabled()) return;
    std::time_t now = std::time(nullptr);
    if (now != clf_second_) {
        clf_second_ = now;
        clf_now_ = clf_time(now);
    }
    append_access_line(access_buffer_, request, clf_now_, status, body_bytes);
    // Bounded buffer: a long batch of requests still reaches the log promptly.
    if (access_buffer_.size() > 64 * 1024) {
        shared_.access_log->write(access_buffer_);
        access_buffer_.clear();
    }
}

void Worker::log_error(std::string_view level, std::uint64_t request_id, std::string_view client,
                       std::string_view message) {
    shared_.error_log->write(format_error_line(level, request_id, client, message));
}

void Worker::mark_idle(Connection& c) noexcept {
    if (c.in_idle_list) return;
    c.in_idle_list = true;
    c.idle_prev = idle_tail_;
    c.idle_next = nullptr;
    if (idle_tail_ != nullptr) {
        idle_tail_->idle_next = &c;
    } else {
        idle_head_ = &c;
    }
    idle_tail_ = &c;
    if (draining_) c.close_now();
}

void Worker::mark_busy(Connection& c) noexcept {
    if (!c.in_idle_list) return;
    if (c.idle_prev != nullptr) {
        c.idle_prev->idle_next = c.idle_next;
    } else {
        idle_head_ = c.idle_next;
    }
    if (c.idle_next != nullptr) {
        c.idle_next->idle_prev = c.idle_prev;
    } else {
        idle_tail_ = c.idle_prev;
    }
    c.idle_prev = c.idle_next = nullptr;
    c.in_idle_list = false;
}

bool Worker::child_slot_available() const noexcept {
    return live_children_ < config().cgi.max_children;
}

void Worker::child_reaped(pid_t, int) {
    if (live_children_ > 0) --live_children_;
    while (!slot_waiters_.empty() && child_slot_available()) {
        Connection* next = slot_waiters_.front();
        slot_waiters_.erase(slot_waiters_.begin());
        next->on_child_slot_available();
    }
}

void Worker::wait_for_child_slot(Connection& c) {
    slot_waiters_.push_back(&c);
}

void Worker::stop_waiting_for_child_slot(Connection& c) noexcept {
    std::erase(slot_waiters_, &c);
}

void Worker::release(Connection& c) {
    mark_busy(c);
    stop_waiting_for_child_slot(c);
    std::size_t slot = c.slot;
    std::unique_ptr<Connection> owned = std::move(connections_[slot]);
    if (slot + 1 != connections_.size()) {
        connections_[slot] = std::move(connections_.back());
        connections_[slot]->slot = slot;
    }
    connections_.pop_back();
    loop_.defer_destroy(std::move(owned));
}

}  // namespace cgikit
