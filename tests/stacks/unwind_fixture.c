// A process that captures its own stack the way the probe does: c(), called
// through a() and b(), takes its registers and copies the stack window above
// its stack pointer. Writes them to argv[1] with this process's maps, prints
// "ready", then waits for stdin to close so the test can resolve it alive.
//   file: "PLSTACK1", ip sp bp bx r12 r13 r14 r15, stack size, truncated (u64
//   each), the stack bytes, maps size (u64), the maps text.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { window = 16384 };
static uint8_t copy[window];  // not on the stack: the copy must not change what it copies
static char maps[1 << 20];
static const char* out_path;

static uint64_t stack_end(uint64_t sp) {
  FILE* f = fopen("/proc/self/maps", "r");
  unsigned long start, end;
  char line[512];
  uint64_t found = 0;
  while (f && fgets(line, sizeof line, f))
    if (sscanf(line, "%lx-%lx", &start, &end) == 2 && sp >= start && sp < end) found = end;
  if (f) fclose(f);
  return found;
}

static void save(const uint64_t regs[8]) {
  uint64_t end = stack_end(regs[1]);
  uint64_t size = end - regs[1] < window ? end - regs[1] : window;
  uint64_t truncated = end - regs[1] > window;
  memcpy(copy, (const void*)regs[1], size);
  FILE* in = fopen("/proc/self/maps", "r");
  uint64_t maps_size = fread(maps, 1, sizeof maps, in);
  fclose(in);
  FILE* out = fopen(out_path, "wb");
  fwrite("PLSTACK1", 1, 8, out);
  fwrite(regs, 8, 8, out);
  fwrite(&size, 8, 1, out);
  fwrite(&truncated, 8, 1, out);
  fwrite(copy, 1, size, out);
  fwrite(&maps_size, 8, 1, out);
  fwrite(maps, 1, maps_size, out);
  fclose(out);
}

__attribute__((noinline)) void c(void) {
  static uint64_t regs[8];
  // All eight at one instruction boundary, as the kernel's pt_regs has them.
  __asm__ volatile(
      "lea 0(%%rip), %%rax\n\t"
      "mov %%rax, 0(%0)\n\t"
      "mov %%rsp, 8(%0)\n\t"
      "mov %%rbp, 16(%0)\n\t"
      "mov %%rbx, 24(%0)\n\t"
      "mov %%r12, 32(%0)\n\t"
      "mov %%r13, 40(%0)\n\t"
      "mov %%r14, 48(%0)\n\t"
      "mov %%r15, 56(%0)\n\t"
      :
      : "r"(regs)
      : "rax", "memory");
  save(regs);
}

// The calls are not tail calls (the asm after each keeps the frame), so a()
// and b() stay on the stack.
__attribute__((noinline)) void b(void) {
  c();
  __asm__ volatile("" ::: "memory");
}

__attribute__((noinline)) void a(void) {
  b();
  __asm__ volatile("" ::: "memory");
}

int main(int argc, char** argv) {
  if (argc != 2) return 2;
  out_path = argv[1];
  a();
  puts("ready");
  fflush(stdout);
  char byte;
  while (read(0, &byte, 1) > 0) {
  }
  return 0;
}
