# Warnings are errors for our code (not for third-party headers, which are -isystem).
add_compile_options(
  -Wall -Wextra -Wpedantic -Werror
  -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align -Woverloaded-virtual
  -Wimplicit-fallthrough -Wformat=2 -Wmissing-declarations
)
# GCC 12 reports false positives for std::variant, containers and inlined coroutine frames
# (-Wmismatched-new-delete on Asio's awaitable frames) at -O2.
# GCC 12 coroutine rule (see docs/development.md): never build temporaries with ?:, && or ||
# inside a co_await operand; bind the value to a named local first.
add_compile_options(-Wno-maybe-uninitialized -Wno-array-bounds -Wno-stringop-overflow -Wno-mismatched-new-delete)
# Designated initializers that leave members at their defaults are intended.
add_compile_options(-Wno-missing-field-initializers)
if(POSTERN_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
