// The fiber scheduler behind simt.h: each block's threads are ucontext fibers on the calling OS thread.
#include "simt.h"
#include <ucontext.h>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

namespace loraga::simt {

namespace {
constexpr size_t kStack = 64 * 1024;

struct Fiber {
  ucontext_t ctx;
  std::unique_ptr<char[]> stack;
  bool done = false;
};

struct Grid {
  Coords c;  // tid is the running fiber's
  Body body;
  void* closure;
  std::vector<Fiber> fibers;
  ucontext_t sched;
  unsigned current = 0;
  // Barrier rounds: what each thread put in, and what the round's reduction gave (read after the round).
  std::vector<int> preds;
  std::vector<float> vals[2];
  int orResult = 0;
  unsigned round = 0;
};
thread_local Grid* g = nullptr;

void entry() {
  g->body(g->closure);
  g->fibers[g->current].done = true;
  swapcontext(&g->fibers[g->current].ctx, &g->sched);
}

void yieldToScheduler() { swapcontext(&g->fibers[g->current].ctx, &g->sched); }

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "simt: %s\n", what);
  std::abort();
}
}  // namespace

const Coords& coords() {
  if (!g) die("a kernel helper was called outside a launch");
  return g->c;
}

int syncOr(int pred) {
  g->preds[g->current] = pred;
  yieldToScheduler();
  return g->orResult;
}

float exchange(float v, int partner) {
  const unsigned slot = g->round & 1;  // double-buffered: the next round's writes go to the other slot
  g->vals[slot][g->current] = v;
  yieldToScheduler();
  return g->vals[slot][unsigned(partner)];
}

void run(dim3 grid, dim3 block, Body body, void* closure) {
  const unsigned n = block.x * block.y * block.z;
  if (block.y != 1 || block.z != 1 || grid.y != 1 || grid.z != 1) die("only 1-D grids and blocks are emulated");
  Grid st;
  st.body = body, st.closure = closure;
  st.c.bdim = block, st.c.gdim = grid;
  st.fibers.resize(n);
  st.preds.assign(n, 0);
  st.vals[0].assign(n, 0.f), st.vals[1].assign(n, 0.f);
  for (Fiber& f : st.fibers) f.stack.reset(new char[kStack]);
  Grid* outer = g;
  g = &st;
  for (unsigned b = 0; b < grid.x; ++b) {
    st.c.bid = uint3{b, 0, 0};
    for (unsigned t = 0; t < n; ++t) {
      Fiber& f = st.fibers[t];
      f.done = false;
      getcontext(&f.ctx);
      f.ctx.uc_stack.ss_sp = f.stack.get();
      f.ctx.uc_stack.ss_size = kStack;
      f.ctx.uc_link = nullptr;
      makecontext(&f.ctx, entry, 0);
    }
    for (;;) {  // one barrier round per pass: every live thread runs up to its next barrier or its end
      unsigned finished = 0;
      for (unsigned t = 0; t < n; ++t) {
        if (st.fibers[t].done) {
          ++finished;
          continue;
        }
        st.current = t;
        st.c.tid = uint3{t, 0, 0};
        swapcontext(&st.sched, &st.fibers[t].ctx);
        if (st.fibers[t].done) ++finished;
      }
      if (finished == n) break;
      if (finished != 0) die("some threads of a block finished while others wait at a barrier (divergent barrier)");
      int any = 0;
      for (int p : st.preds) any |= p != 0;
      st.orResult = any;
      ++st.round;
    }
  }
  g = outer;
}

}  // namespace loraga::simt
