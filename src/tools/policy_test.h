// `posternctl policy test`: runs the configured policy script over one message with
// filter::policy::run_all_events and prints what each event decides. Offline: it loads the
// script itself and sends, queues and looks up nothing.
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace postern::tools {

// Adds `policy test` under `app`. `config` and `json_output` are read when the command runs
// (after parsing); the command sets `local` to the function that runs it.
void add_policy_commands(CLI::App& app, const std::string& config, const bool& json_output,
                         std::function<int()>& local);

}  // namespace postern::tools
