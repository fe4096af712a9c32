// queue.* commands: list, show, retry, delete, bounce, hold and release queued messages.
#include "admin/command.h"

namespace postern::admin {

std::vector<Command> queue_commands() { return {}; }

}  // namespace postern::admin
