// posternd: checks the configuration, then runs the supervisor (which forks the worker), or
// the worker alone with --no-supervisor.
#include <cstdio>
#include <iostream>

#include <CLI/CLI.hpp>
#include <unistd.h>

#include "base/fs.h"
#include "config/load.h"
#include "daemon/policy_options.h"
#include "daemon/privileges.h"
#include "daemon/supervisor.h"
#include "daemon/worker.h"
#include "filter/policy/holder.h"

int main(int argc, char** argv) {
    using namespace postern;
    CLI::App app{"posternd: the Postern mail server"};
    std::string config_file = "/etc/postern/postern.toml";
    std::string check_file;
    bool no_supervisor = false;
    app.add_option("-c,--config", config_file, "configuration file")->capture_default_str();
    app.add_option("--check-config", check_file, "check FILE and exit: 0 when valid")
        ->type_name("FILE");
    app.add_flag("--no-supervisor", no_supervisor, "run the worker in this process (debugging)");
    app.set_version_flag("--version", "posternd 0.1.0");
    CLI11_PARSE(app, argc, argv);

    if (!check_file.empty()) {
        auto cfg = config::load_file(check_file);
        if (!cfg) {
            std::cerr << cfg.error().to_string() << "\n";
            return 1;
        }
        if (auto& policy = (*cfg)->policy; policy.active()) {
            // The script is part of the configuration: load it exactly as the worker would.
            auto checked =
                filter::policy::check_script(policy.script, daemon::policy_limits(policy));
            if (!checked) {
                std::cerr << "[policy] script: " << checked.error().message << "\n";
                return 1;
            }
            for (auto& warning : *checked)
                std::cout << policy.script.string() << ": warning: " << warning << "\n";
        }
        std::cout << check_file << ": configuration OK\n";
        return 0;
    }

    auto cfg = config::load_file(config_file);
    if (!cfg) {
        // Refuse to start half-configured: every problem, with file and line.
        std::cerr << cfg.error().to_string() << "\n"
                  << "posternd: not started: fix the configuration above\n";
        return 1;
    }
    auto& server = (*cfg)->server;
    std::vector<std::filesystem::path> dirs = {server.data_dir, server.data_dir / "run",
                                               (*cfg)->log.directory,
                                               server.admin_socket.parent_path()};
    if (auto st = daemon::prepare_directories(dirs, server.user, server.group); !st) {
        std::cerr << "posternd: " << st.error().message << "\n";
        return 1;
    }
    if (no_supervisor)
        return daemon::run_worker(*cfg, -1);
    (void)write_file_atomic(server.data_dir / "run" / "posternd.pid",
                            std::to_string(::getpid()) + "\n");
    int code =
        daemon::run_supervisor(std::filesystem::absolute(config_file), *cfg, daemon::run_worker);
    std::error_code ec;
    std::filesystem::remove(server.data_dir / "run" / "posternd.pid", ec);
    return code;
}
