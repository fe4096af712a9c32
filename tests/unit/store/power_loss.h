// TEST FIXTURE: simulated power loss. In the writer process, every write to a store file (ours
// through engine::DurabilityObserver, SQLite's through a VFS shim) first saves the bytes it
// replaces to an undo log, and a sync empties the file's log. After the writer is killed, the
// test applies the logs backwards: each file is back at its last synced state, exactly what a
// power cut leaves when nothing unsynced reached the disk (or, with `keep_prefix`, when only a
// random prefix of each file's unsynced writes did).
#pragma once

#include <filesystem>
#include <random>

namespace postern::store::testing {

// In the writer process, before the Store opens: tracks every file and makes the tracking VFS
// SQLite's default. Undo logs go to `undo_dir`. Call once per process.
void install_power_loss_tracking(const std::filesystem::path& undo_dir);

struct RevertStats {
    std::size_t files = 0;
    std::size_t writes_undone = 0;
    std::size_t writes_kept = 0;
};

// After the writer died: puts every tracked file back to its last synced state (with
// keep_prefix, a random number of each file's earliest unsynced writes survive), deletes the
// undo logs and SQLite's -shm files (shared memory does not survive a power cut).
RevertStats simulate_power_loss(const std::filesystem::path& undo_dir,
                                const std::filesystem::path& data_dir, bool keep_prefix,
                                std::mt19937& rng);

}  // namespace postern::store::testing
