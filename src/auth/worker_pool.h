// A small pool of threads for slow work (directory lookups, password hashing), so that none of
// it runs on a service's event-loop thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace postern::auth {

// Two queues: the fast lane (lookups, cache hits, SASL steps) is always served before the
// slow lane (argon2 and other deliberate hashing), so a storm of logins that need hashing
// does not delay logins that do not. Both share one bound on queued jobs.
class WorkerPool {
  public:
    enum class Lane { fast, slow };
    // Called exactly once: with true on a worker thread, or with false on the destroying
    // thread when the pool shuts down before running it (then it must only report
    // cancellation, not post more work).
    using Job = std::function<void(bool run)>;

    WorkerPool(unsigned threads, std::size_t max_queued);
    // shutdown(), then frees the pool.
    ~WorkerPool();
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // New requests are refused when max_queued jobs wait; continuations of work already
    // admitted (the hashing step after a lookup, an upgrade after a login) are not, so an
    // admitted request is never dropped halfway. Queued jobs stay below 2 × max_queued as
    // long as each request has at most one continuation pending.
    enum class Admission { new_request, continuation };

    // False, without calling the job, when a new request finds the queue full or the pool is
    // shutting down. Any thread, workers included.
    bool post(Lane lane, Job job, Admission admission = Admission::new_request);

    // Grows or shrinks the pool (at least one thread). Shrinking waits for the leaving
    // threads to finish their current job. Must not be called from a worker.
    void resize(unsigned threads);

    // Stops taking jobs, waits for running ones (which may still call post(), refused), then
    // cancels the queued ones on this thread. Idempotent. Must not be called from a worker.
    // Owners call it first in their destructor, while what the jobs use is still alive.
    void shutdown();

    unsigned threads() const;
    std::size_t queued() const;

  private:
    void run(unsigned index);

    const std::size_t max_queued_;
    std::mutex resize_mutex_;  // serializes resize() so that joins and spawns never overlap
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<Job> fast_;
    std::deque<Job> slow_;
    std::vector<std::thread> threads_;
    unsigned target_ = 0;  // workers with index >= target_ leave
    bool stopping_ = false;
};

}  // namespace postern::auth
