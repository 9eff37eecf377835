// Exercises each replacement of userspace/compat/glibc_compat.c, linked exactly
// as the release binary is (cmake/static.cmake: proclife_glibc_compat). Runs on
// the host (ctest, label static) and inside a Debian 11 root, glibc 2.31
// (tests/bullseye_test.sh). Prints one line per check; exits 1 if any failed.
#include <dlfcn.h>
#include <link.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <memory>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <string>


namespace {

int failures = 0;

void check(bool ok, const std::string& what)
{
  std::cout << (ok ? "ok   " : "FAIL ") << what << '\n';
  if (!ok)
    ++failures;
}

// Counted by a constructor: glibc < 2.34 runs it only through the init function
// the __libc_start_main wrapper passes; glibc >= 2.34 must not run it twice.
int constructor_runs = 0;
struct Constructed {
  Constructed() { ++constructor_runs; }
};
Constructed constructed;

[[gnu::noinline]] void throw_deep(int depth)
{
  if (depth == 0)
    throw std::runtime_error("thrown through frames");
  throw_deep(depth - 1);
  asm volatile("");
}

}  // namespace

int main()
{
  check(constructor_runs == 1, "the binary's constructors ran once, before main");

  // Every throw unwinds through _dl_find_object.
  std::string caught;
  try {
    throw_deep(8);
  } catch (const std::exception& e) {
    caught = e.what();
  }
  check(caught == "thrown through frames", "a C++ exception thrown 9 frames deep is caught");

  dl_find_object obj{};
  auto here = reinterpret_cast<std::uintptr_t>(&throw_deep);
  check(_dl_find_object(reinterpret_cast<void*>(here), &obj) == 0 &&
            reinterpret_cast<std::uintptr_t>(obj.dlfo_map_start) <= here &&
            here < reinterpret_cast<std::uintptr_t>(obj.dlfo_map_end) && obj.dlfo_eh_frame != nullptr &&
            obj.dlfo_link_map != nullptr && obj.dlfo_link_map->l_ld == _DYNAMIC,
        "_dl_find_object(the binary's code): its mapping, eh_frame and link_map");
  auto in_libc = reinterpret_cast<void*>(&getpid);
  check(_dl_find_object(in_libc, &obj) == 0 && obj.dlfo_link_map != nullptr &&
            std::strstr(obj.dlfo_link_map->l_name, "libc.so.6") != nullptr && obj.dlfo_eh_frame != nullptr,
        "_dl_find_object(getpid): libc.so.6, with its eh_frame");
  int on_stack = 0;
  check(_dl_find_object(&on_stack, &obj) == -1, "_dl_find_object(a stack address) fails");

  std::set<std::uint32_t> values;
  for (int i = 0; i < 16; i++)
    values.insert(arc4random());
  check(values.size() > 1 && arc4random_uniform(10) < 10, "arc4random: random values");
  std::random_device device;
  check(device() != device() || device() != device(), "std::random_device");

  std::once_flag flag;
  int calls = 0;
  for (int i = 0; i < 3; i++)
    std::call_once(flag, [&] { ++calls; });
  check(calls == 1, "std::call_once (pthread_once) runs once");

  auto shared = std::make_shared<int>(7);
  auto copy = shared;
  check(shared.use_count() == 2 && *copy == 7, "std::shared_ptr counts (__libc_single_threaded)");

  struct stat by_path{}, by_fd{}, by_link{};
  check(stat("/proc/self/exe", &by_path) == 0 && S_ISREG(by_path.st_mode) && by_path.st_size > 0,
        "stat follows /proc/self/exe to the binary");
  check(lstat("/proc/self/exe", &by_link) == 0 && S_ISLNK(by_link.st_mode), "lstat sees the link itself");
  check(fstat(STDIN_FILENO, &by_fd) == 0, "fstat(stdin)");
  check(stat("/nonexistent/path", &by_path) == -1 && errno == ENOENT, "stat of a missing path: ENOENT");

  std::cout << (failures == 0 ? "glibc_compat_test: all passed" : "glibc_compat_test: FAILED") << '\n';
  return failures == 0 ? 0 : 1;
}
