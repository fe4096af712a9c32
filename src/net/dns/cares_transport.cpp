// The c-ares event loop: one channel, one thread, poll() over c-ares' sockets plus an eventfd
// that send() and stop() use to wake it. All ares_* calls happen on that thread (c-ares 1.18
// channels are not thread-safe).
#include "net/dns/cares_transport.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <unordered_map>

#include <ares.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace postern::net::dns {

namespace {

constexpr int kClassIn = 1;

struct Pending {
    std::string name;
    RecordType type;
    ReplyCallback done;
};

std::string describe(const Pending& p) {
    return p.name + "/" + std::string(record_type_name(p.type));
}

DnsError failure(const Pending& p, int status) {
    switch (status) {
        case ARES_ETIMEOUT:
            return DnsError{DnsErrc::timeout,
                            describe(p) + ": no answer from the nameservers in time"};
        case ARES_ECONNREFUSED:
        case ARES_ESERVFAIL:
        case ARES_EREFUSED:
        case ARES_ENOTIMP:
            // c-ares moves to the next server on SERVFAIL, REFUSED and NOTIMP and reports
            // ECONNREFUSED when none is left, so these cannot be told apart here.
            return DnsError{
                DnsErrc::server_failure,
                describe(p) + ": nameservers answered SERVFAIL/REFUSED or were unreachable"};
        case ARES_ECANCELLED:
        case ARES_EDESTRUCTION:
            return DnsError{DnsErrc::cancelled, describe(p) + ": resolver shut down"};
        case ARES_EBADNAME:
        case ARES_EBADQUERY:
            return DnsError{DnsErrc::invalid_name, describe(p) + ": name cannot be sent"};
        default:
            return DnsError{DnsErrc::server_failure, describe(p) + ": " + ares_strerror(status)};
    }
}

void on_reply(void* arg, int status, int /*timeouts*/, unsigned char* abuf, int alen) {
    std::unique_ptr<Pending> p(static_cast<Pending*>(arg));
    // ares_query hands over every completed exchange whatever its RCODE: the answer
    // interpreter reads the RCODE itself, with the SOA that negative caching needs.
    if (abuf != nullptr && alen > 0) {
        p->done(std::vector<std::uint8_t>(abuf, abuf + alen));
        return;
    }
    p->done(std::unexpected(failure(*p, status)));
}

}  // namespace

struct CaresTransport::Impl {
    ares_channel channel = nullptr;
    bool library = false;
    int wake_fd = -1;

    std::mutex mutex;
    std::vector<Pending> queue;  // guarded by mutex
    bool stopping = false;       // guarded by mutex
    std::atomic<std::uint64_t> sent{0};

    // Sockets c-ares wants watched, from its socket-state callback: transport thread only.
    struct Interest {
        bool read = false;
        bool write = false;
    };
    std::unordered_map<ares_socket_t, Interest> sockets;

    ~Impl() {
        if (channel != nullptr)
            ares_destroy(channel);
        if (wake_fd >= 0)
            ::close(wake_fd);
        if (library)
            ares_library_cleanup();
    }

    void wake() const {
        std::uint64_t one = 1;
        // EAGAIN means the counter is already non-zero: the thread is woken anyway.
        [[maybe_unused]] auto n = ::write(wake_fd, &one, sizeof one);
    }

    static void on_socket_state(void* data, ares_socket_t fd, int readable, int writable) {
        auto* self = static_cast<Impl*>(data);
        if (!readable && !writable) {
            self->sockets.erase(fd);
        } else {
            self->sockets[fd] = Interest{readable != 0, writable != 0};
        }
    }
};

Result<std::unique_ptr<CaresTransport>> CaresTransport::start(const ResolverOptions& options) {
    auto impl = std::make_unique<Impl>();
    if (int rc = ares_library_init(ARES_LIB_INIT_ALL); rc != ARES_SUCCESS) {
        return fail(Errc::unavailable, std::string("c-ares library init: ") + ares_strerror(rc));
    }
    impl->library = true;
    impl->wake_fd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (impl->wake_fd < 0)
        return fail(Errc::unavailable, std::string("eventfd: ") + std::strerror(errno));

    ares_options opts{};
    int mask = 0;
    // No search list and no HOSTALIASES: mail names are always absolute.
    opts.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES;
    if (options.edns)
        opts.flags |= ARES_FLAG_EDNS;
    if (options.tcp == TcpMode::always)
        opts.flags |= ARES_FLAG_USEVC;
    if (options.tcp == TcpMode::never)
        opts.flags |= ARES_FLAG_IGNTC;
    mask |= ARES_OPT_FLAGS;
    opts.timeout = static_cast<int>(std::max<std::int64_t>(1, options.timeout.count()));
    mask |= ARES_OPT_TIMEOUTMS;
    opts.tries = std::max(1, options.tries);
    mask |= ARES_OPT_TRIES;
    if (options.edns) {
        opts.ednspsz = std::max<int>(512, options.edns_udp_size);
        mask |= ARES_OPT_EDNSPSZ;
    }
    mask |= options.rotate ? ARES_OPT_ROTATE : ARES_OPT_NOROTATE;
    opts.sock_state_cb = &Impl::on_socket_state;
    opts.sock_state_cb_data = impl.get();
    mask |= ARES_OPT_SOCK_STATE_CB;
    if (int rc = ares_init_options(&impl->channel, &opts, mask); rc != ARES_SUCCESS) {
        impl->channel = nullptr;
        return fail(Errc::unavailable, std::string("c-ares channel: ") + ares_strerror(rc));
    }

    if (!options.nameservers.empty()) {
        std::vector<ares_addr_port_node> nodes(options.nameservers.size());
        for (std::size_t i = 0; i < nodes.size(); ++i) {
            const auto& ns = options.nameservers[i];
            auto& node = nodes[i];
            node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
            const auto& bytes = ns.address.bytes();
            if (ns.address.is_v4()) {
                node.family = AF_INET;
                std::memcpy(&node.addr.addr4, bytes.data() + 12, 4);
            } else {
                node.family = AF_INET6;
                std::memcpy(&node.addr.addr6, bytes.data(), 16);
            }
            node.udp_port = ns.port;
            node.tcp_port = ns.port;
        }
        if (int rc = ares_set_servers_ports(impl->channel, nodes.data()); rc != ARES_SUCCESS) {
            return fail(Errc::unavailable, std::string("c-ares nameservers: ") + ares_strerror(rc));
        }
    }

    std::unique_ptr<CaresTransport> transport(new CaresTransport(std::move(impl)));
    transport->thread_ = std::thread([t = transport.get()] { t->run(); });
    return transport;
}

CaresTransport::CaresTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CaresTransport::~CaresTransport() {
    stop();
}

void CaresTransport::send(std::string name, RecordType type, ReplyCallback done) {
    Pending p{std::move(name), type, std::move(done)};
    {
        std::lock_guard lock(impl_->mutex);
        if (!impl_->stopping) {
            impl_->queue.push_back(std::move(p));
            impl_->wake();
            return;
        }
    }
    p.done(std::unexpected(failure(p, ARES_ECANCELLED)));
}

void CaresTransport::stop() {
    {
        std::lock_guard lock(impl_->mutex);
        impl_->stopping = true;
        impl_->wake();
    }
    if (thread_.joinable())
        thread_.join();
}

std::uint64_t CaresTransport::sent() const {
    return impl_->sent.load(std::memory_order_relaxed);
}

void CaresTransport::run() {
    Impl& s = *impl_;
    std::vector<pollfd> fds;
    std::vector<Pending> batch;
    while (true) {
        bool stopping = false;
        {
            std::lock_guard lock(s.mutex);
            batch.swap(s.queue);
            stopping = s.stopping;
        }
        for (auto& p : batch) {
            if (stopping) {
                p.done(std::unexpected(failure(p, ARES_ECANCELLED)));
                continue;
            }
            s.sent.fetch_add(1, std::memory_order_relaxed);
            auto* pending = new Pending(std::move(p));
            // ares_query, not ares_send: it builds the question with the channel's current
            // EDNS setting, which c-ares turns off after a FORMERR from an old server.
            ares_query(s.channel, pending->name.c_str(), kClassIn, static_cast<int>(pending->type),
                       &on_reply, pending);
        }
        batch.clear();
        if (stopping) {
            ares_cancel(s.channel);  // every callback runs now, with ARES_ECANCELLED
            return;
        }

        fds.clear();
        fds.push_back(pollfd{s.wake_fd, POLLIN, 0});
        for (const auto& [fd, interest] : s.sockets) {
            short events = 0;
            if (interest.read)
                events |= POLLIN;
            if (interest.write)
                events |= POLLOUT;
            fds.push_back(pollfd{fd, events, 0});
        }
        timeval tv{};
        timeval* next = ares_timeout(s.channel, nullptr, &tv);
        int wait_ms = -1;
        if (next != nullptr) {
            // Round up so that the wake-up never comes just before the deadline.
            wait_ms = static_cast<int>(next->tv_sec * 1000 + (next->tv_usec + 999) / 1000);
        }
        int ready = ::poll(fds.data(), fds.size(), wait_ms);
        if (ready < 0 && errno != EINTR) {
            // poll() only fails for bad arguments or memory; c-ares' timeouts below still run.
            ready = 0;
        }
        if (ready > 0) {
            if (fds[0].revents != 0) {
                std::uint64_t count = 0;
                [[maybe_unused]] auto n = ::read(s.wake_fd, &count, sizeof count);
            }
            for (std::size_t i = 1; i < fds.size(); ++i) {
                short ev = fds[i].revents;
                if (ev == 0)
                    continue;
                ares_socket_t read_fd =
                    (ev & (POLLIN | POLLERR | POLLHUP)) != 0 ? fds[i].fd : ARES_SOCKET_BAD;
                ares_socket_t write_fd = (ev & POLLOUT) != 0 ? fds[i].fd : ARES_SOCKET_BAD;
                ares_process_fd(s.channel, read_fd, write_fd);
            }
        }
        // Expired tries: c-ares resends to the next server or ends the query with ETIMEOUT.
        ares_process_fd(s.channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
    }
}

}  // namespace postern::net::dns
