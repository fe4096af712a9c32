// `posternctl dkim keygen DOMAIN [--selector S] [--type rsa|ed25519] [--bits N]` and
// `posternctl dkim record DOMAIN`: DKIM signing keys in [sender_auth.dkim] key_dir
// (<key_dir>/<domain>/<selector>.pem) and the DNS TXT record to publish (RFC 6376 §3.6.1).
// Local: works on the files, without the daemon (which picks a new key up within a minute).
#pragma once

#include <functional>
#include <string>

namespace CLI {
class App;
}

namespace postern::tools {

void add_dkim_commands(CLI::App& app, const std::string& config, const bool& json_output,
                       std::function<int()>& local);

}  // namespace postern::tools
