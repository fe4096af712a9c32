// storage.* commands: check, compact, repair and report on the message stores.
#include "admin/command.h"

namespace postern::admin {

std::vector<Command> storage_commands() { return {}; }

}  // namespace postern::admin
