/*
 * glibc compatibility layer of the release binary (cmake/static.cmake, only with
 * -DPROCLIFE_STATIC=ON): lets a binary linked on glibc 2.36 (Debian 12) run on
 * glibc 2.31 (Debian 11, Ubuntu 20.04) and later.
 *
 * The static libstdc++/libgcc and glibc's own crt1.o reference symbols that only
 * newer glibc versions define. Each of them is handled here:
 *
 *  - defined here (hidden: bound inside the binary, never exported, so they do
 *    not interpose on the running glibc's own):
 *      arc4random              GLIBC_2.36  libstdc++ (std::random_device)
 *      _dl_find_object         GLIBC_2.35  libgcc's unwinder (every C++ throw)
 *      __libc_single_threaded  GLIBC_2.32  libstdc++ (0: always use atomics)
 *  - redirected with -Wl,--wrap=SYM to the older version of the same function,
 *    which glibc 2.36 still exports (compat symbols) and glibc 2.31 defines:
 *      __libc_start_main       GLIBC_2.34 -> GLIBC_2.2.5 (+ runs the constructors)
 *      pthread_once            GLIBC_2.34 -> GLIBC_2.2.5 (libpthread.so.0 < 2.34)
 *      __pthread_key_create    GLIBC_2.34 -> GLIBC_2.2.5 (libpthread.so.0 < 2.34)
 *      pthread_create, _join, _detach, _condattr_setclock, _sigmask (std::thread)
 *      stat fstat lstat ...    GLIBC_2.33 -> __xstat & co. @GLIBC_2.2.5
 *      dlopen dlsym dlclose    GLIBC_2.34 -> GLIBC_2.2.5 (libdl.so.2 < 2.34; libdw)
 *      pthread_rwlock_*        GLIBC_2.34 -> GLIBC_2.2.5 (libdw)
 * Before glibc 2.34 pthread_once and __pthread_key_create live in libpthread.so.0,
 * so the binary also NEEDs libpthread.so.0 (an empty stub on glibc >= 2.34).
 *
 * tests/static_check.sh checks the newest version left; tests/bullseye_test.sh
 * runs the binary in a Debian 11 root; tests/compat/glibc_compat_test.cpp
 * exercises each replacement on the host and in that root.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#define COMPAT __attribute__((visibility("hidden")))

/* ---- __libc_single_threaded (GLIBC_2.32) ------------------------------------
 * libstdc++ skips atomic operations (shared_ptr counts, ...) while it is nonzero.
 * glibc keeps its own copy up to date; ours stays 0, which is always correct. */
COMPAT char __libc_single_threaded = 0;

/* ---- arc4random (GLIBC_2.36) ---------------------------------------------- */
static void compat_random_bytes(void *buf, size_t n)
{
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t got = getrandom(p, n, 0);
    if (got < 0) {
      if (errno == EINTR)
        continue;
      if (errno == ENOSYS) { /* kernel < 3.17 */
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
          abort();
        while (n > 0) {
          ssize_t r = read(fd, p, n);
          if (r < 0 && errno == EINTR)
            continue;
          if (r <= 0)
            abort();
          p += r;
          n -= (size_t)r;
        }
        close(fd);
        return;
      }
      abort(); /* arc4random cannot fail; glibc's aborts too */
    }
    p += got;
    n -= (size_t)got;
  }
}

COMPAT void arc4random_buf(void *buf, size_t n) { compat_random_bytes(buf, n); }

COMPAT uint32_t arc4random(void)
{
  uint32_t value;
  compat_random_bytes(&value, sizeof value);
  return value;
}

COMPAT uint32_t arc4random_uniform(uint32_t upper)
{
  if (upper < 2)
    return 0;
  uint32_t min = -upper % upper; /* 2^32 mod upper: reject below, no bias */
  for (;;) {
    uint32_t r = arc4random();
    if (r >= min)
      return r % upper;
  }
}

/* ---- _dl_find_object (GLIBC_2.35) -------------------------------------------
 * libgcc's unwinder (unwind-dw2-fde-dip.c) calls it for every frame it unwinds
 * when glibc has it at build time, and gives up (std::terminate) when it fails:
 * it uses dlfo_eh_frame (the PT_GNU_EH_FRAME segment) and dlfo_map_start/end.
 * Filled as glibc does, from dl_iterate_phdr: the object whose mapping
 * [first PT_LOAD page, end of last PT_LOAD) holds the address; dlfo_link_map is
 * the loader's link_map of that object (the r_debug list, matched by l_ld). */
struct compat_find {
  uintptr_t pc;
  struct dl_find_object *result;
  int found;
};

static struct link_map *compat_link_map(uintptr_t dynamic)
{
  extern ElfW(Dyn) _DYNAMIC[] __attribute__((visibility("hidden")));
  struct r_debug *debug = NULL;
  for (ElfW(Dyn) *d = _DYNAMIC; d->d_tag != DT_NULL; d++)
    if (d->d_tag == DT_DEBUG)
      debug = (struct r_debug *)d->d_un.d_ptr;
  if (debug == NULL || dynamic == 0)
    return NULL;
  for (struct link_map *map = debug->r_map; map != NULL; map = map->l_next)
    if ((uintptr_t)map->l_ld == dynamic)
      return map;
  return NULL;
}

static int compat_find_object_cb(struct dl_phdr_info *info, size_t size, void *data)
{
  struct compat_find *find = data;
  (void)size;
  uintptr_t start = UINTPTR_MAX, end = 0, eh_frame = 0, dynamic = 0;
  for (ElfW(Half) i = 0; i < info->dlpi_phnum; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    uintptr_t addr = info->dlpi_addr + ph->p_vaddr;
    switch (ph->p_type) {
    case PT_LOAD:
      if (addr < start)
        start = addr;
      if (addr + ph->p_memsz > end)
        end = addr + ph->p_memsz;
      break;
    case PT_GNU_EH_FRAME:
      eh_frame = addr;
      break;
    case PT_DYNAMIC:
      dynamic = addr;
      break;
    }
  }
  if (end == 0)
    return 0;
  start &= ~((uintptr_t)getpagesize() - 1);
  if (find->pc < start || find->pc >= end)
    return 0;
  memset(find->result, 0, sizeof *find->result);
  find->result->dlfo_map_start = (void *)start;
  find->result->dlfo_map_end = (void *)end;
  find->result->dlfo_eh_frame = (void *)eh_frame;
  find->result->dlfo_link_map = compat_link_map(dynamic);
  find->found = 1;
  return 1;
}

COMPAT int _dl_find_object(void *address, struct dl_find_object *result)
{
  struct compat_find find = {(uintptr_t)address, result, 0};
  dl_iterate_phdr(compat_find_object_cb, &find);
  return find.found ? 0 : -1;
}

/* ---- __libc_start_main (GLIBC_2.34 -> GLIBC_2.2.5) --------------------------
 * crt1.o of glibc >= 2.34 passes no init function: the new __libc_start_main
 * runs the program's constructors itself; glibc < 2.34 only calls `init`, so
 * without one no constructor of the binary would run there. Pass one that does
 * what libc_nonshared's __libc_csu_init did (the loader runs DT_PREINIT_ARRAY);
 * glibc >= 2.34 calls it too ("legacy program"), so it runs exactly once. */
typedef int (*compat_main_fn)(int, char **, char **);
extern int compat_libc_start_main(compat_main_fn main, int argc, char **argv,
                                  void (*init)(int, char **, char **), void (*fini)(void),
                                  void (*rtld_fini)(void), void *stack_end);
__asm__(".symver compat_libc_start_main,__libc_start_main@GLIBC_2.2.5");

extern void _init(void);
extern void (*__init_array_start[])(int, char **, char **) __attribute__((visibility("hidden")));
extern void (*__init_array_end[])(int, char **, char **) __attribute__((visibility("hidden")));

static void compat_csu_init(int argc, char **argv, char **envp)
{
  _init();
  size_t n = (size_t)(__init_array_end - __init_array_start);
  for (size_t i = 0; i < n; i++)
    __init_array_start[i](argc, argv, envp);
}

COMPAT int __wrap___libc_start_main(compat_main_fn main, int argc, char **argv,
                                    void (*init)(int, char **, char **), void (*fini)(void),
                                    void (*rtld_fini)(void), void *stack_end)
{
  (void)init;
  (void)fini; /* the loader's _dl_fini runs DT_FINI_ARRAY, old and new glibc alike */
  return compat_libc_start_main(main, argc, argv, compat_csu_init, NULL, rtld_fini, stack_end);
}

/* ---- pthread_once, __pthread_key_create (GLIBC_2.34 -> GLIBC_2.2.5) -------- */
extern int compat_pthread_once(pthread_once_t *once, void (*fn)(void));
__asm__(".symver compat_pthread_once,pthread_once@GLIBC_2.2.5");
COMPAT int __wrap_pthread_once(pthread_once_t *once, void (*fn)(void))
{
  return compat_pthread_once(once, fn);
}

extern int compat_pthread_key_create(pthread_key_t *key, void (*destructor)(void *));
__asm__(".symver compat_pthread_key_create,__pthread_key_create@GLIBC_2.2.5");
COMPAT int __wrap___pthread_key_create(pthread_key_t *key, void (*destructor)(void *))
{
  return compat_pthread_key_create(key, destructor);
}

/* ---- std::thread (the /metrics server): pthread_create, _join, _detach
 * (GLIBC_2.34 -> 2.2.5), pthread_condattr_setclock (2.34 -> 2.3.3), and
 * pthread_sigmask (2.32 -> 2.2.5); before those versions all lived in
 * libpthread.so.0. ---------------------------------------------------------- */
extern int compat_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg);
__asm__(".symver compat_pthread_create,pthread_create@GLIBC_2.2.5");
COMPAT int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*fn)(void *), void *arg)
{
  return compat_pthread_create(thread, attr, fn, arg);
}

extern int compat_pthread_join(pthread_t thread, void **result);
__asm__(".symver compat_pthread_join,pthread_join@GLIBC_2.2.5");
COMPAT int __wrap_pthread_join(pthread_t thread, void **result) { return compat_pthread_join(thread, result); }

extern int compat_pthread_detach(pthread_t thread);
__asm__(".symver compat_pthread_detach,pthread_detach@GLIBC_2.2.5");
COMPAT int __wrap_pthread_detach(pthread_t thread) { return compat_pthread_detach(thread); }

extern int compat_pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock);
__asm__(".symver compat_pthread_condattr_setclock,pthread_condattr_setclock@GLIBC_2.3.3");
COMPAT int __wrap_pthread_condattr_setclock(pthread_condattr_t *attr, clockid_t clock)
{
  return compat_pthread_condattr_setclock(attr, clock);
}

extern int compat_pthread_sigmask(int how, const sigset_t *set, sigset_t *old);
__asm__(".symver compat_pthread_sigmask,pthread_sigmask@GLIBC_2.2.5");
COMPAT int __wrap_pthread_sigmask(int how, const sigset_t *set, sigset_t *old)
{
  return compat_pthread_sigmask(how, set, old);
}

/* ---- libdw (call stacks): dlopen, dlsym, dlclose (GLIBC_2.34 -> GLIBC_2.2.5,
 * libdl.so.2 before 2.34: debuginfod's client is loaded at run time) and
 * pthread_rwlock_* (GLIBC_2.34 -> GLIBC_2.2.5, libpthread.so.0 before 2.34). */
extern void *compat_dlopen(const char *file, int mode);
__asm__(".symver compat_dlopen,dlopen@GLIBC_2.2.5");
COMPAT void *__wrap_dlopen(const char *file, int mode) { return compat_dlopen(file, mode); }

extern void *compat_dlsym(void *handle, const char *name);
__asm__(".symver compat_dlsym,dlsym@GLIBC_2.2.5");
COMPAT void *__wrap_dlsym(void *handle, const char *name) { return compat_dlsym(handle, name); }

extern int compat_dlclose(void *handle);
__asm__(".symver compat_dlclose,dlclose@GLIBC_2.2.5");
COMPAT int __wrap_dlclose(void *handle) { return compat_dlclose(handle); }

#define COMPAT_RWLOCK(name, attr_type)                                         \
  extern int compat_##name(pthread_rwlock_t *lock, attr_type);                 \
  __asm__(".symver compat_" #name "," #name "@GLIBC_2.2.5");                   \
  COMPAT int __wrap_##name(pthread_rwlock_t *lock, attr_type) { return compat_##name(lock, attr); }
#define COMPAT_RWLOCK_OP(name)                                                 \
  extern int compat_##name(pthread_rwlock_t *lock);                            \
  __asm__(".symver compat_" #name "," #name "@GLIBC_2.2.5");                   \
  COMPAT int __wrap_##name(pthread_rwlock_t *lock) { return compat_##name(lock); }
COMPAT_RWLOCK(pthread_rwlock_init, const pthread_rwlockattr_t *attr)
COMPAT_RWLOCK_OP(pthread_rwlock_destroy)
COMPAT_RWLOCK_OP(pthread_rwlock_rdlock)
COMPAT_RWLOCK_OP(pthread_rwlock_tryrdlock)
COMPAT_RWLOCK_OP(pthread_rwlock_wrlock)
COMPAT_RWLOCK_OP(pthread_rwlock_unlock)

/* ---- stat & co. (GLIBC_2.33 -> __xstat & co. @GLIBC_2.2.5) ------------------
 * Before 2.33 the stat functions were inline wrappers (libc_nonshared) around
 * __xstat(_STAT_VER, ...); _STAT_VER is 1 on x86_64 (struct stat == stat64). */
#if !defined(__x86_64__)
#error "glibc_compat.c: the __xstat versions and _STAT_VER below are x86_64's"
#endif
#define COMPAT_STAT_VER 1
extern int compat_xstat(int ver, const char *path, struct stat *buf);
extern int compat_lxstat(int ver, const char *path, struct stat *buf);
extern int compat_fxstat(int ver, int fd, struct stat *buf);
extern int compat_fxstatat(int ver, int dirfd, const char *path, struct stat *buf, int flags);
__asm__(".symver compat_xstat,__xstat@GLIBC_2.2.5");
__asm__(".symver compat_lxstat,__lxstat@GLIBC_2.2.5");
__asm__(".symver compat_fxstat,__fxstat@GLIBC_2.2.5");
__asm__(".symver compat_fxstatat,__fxstatat@GLIBC_2.4");

COMPAT int __wrap_stat(const char *path, struct stat *buf) { return compat_xstat(COMPAT_STAT_VER, path, buf); }
COMPAT int __wrap_stat64(const char *path, struct stat *buf) { return compat_xstat(COMPAT_STAT_VER, path, buf); }
COMPAT int __wrap_lstat(const char *path, struct stat *buf) { return compat_lxstat(COMPAT_STAT_VER, path, buf); }
COMPAT int __wrap_lstat64(const char *path, struct stat *buf) { return compat_lxstat(COMPAT_STAT_VER, path, buf); }
COMPAT int __wrap_fstat(int fd, struct stat *buf) { return compat_fxstat(COMPAT_STAT_VER, fd, buf); }
COMPAT int __wrap_fstat64(int fd, struct stat *buf) { return compat_fxstat(COMPAT_STAT_VER, fd, buf); }
COMPAT int __wrap_fstatat(int dirfd, const char *path, struct stat *buf, int flags)
{
  return compat_fxstatat(COMPAT_STAT_VER, dirfd, path, buf, flags);
}
COMPAT int __wrap_fstatat64(int dirfd, const char *path, struct stat *buf, int flags)
{
  return compat_fxstatat(COMPAT_STAT_VER, dirfd, path, buf, flags);
}
