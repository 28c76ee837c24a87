// memory.cpp - where simulation objects live: per-thread pools carved from 2 MiB chunks
// that the OS is asked to back with huge pages.
//
// Why: a 100k-LP system touches ~150 MB of ports and components in random order; with 4 KiB
// pages nearly every access also misses the TLB. Backing the same bytes with 2 MiB pages
// (madvise MADV_HUGEPAGE; Linux's default THP mode is "madvise") removed most of that cost
// in bench/phold (see bench/README.md). Free lists by size class make reuse a pointer pop;
// a block freed on another thread simply joins that thread's list. Chunks are never
// returned to the system: when a thread exits, its pools (chunks and free lists) are parked
// and the next new thread adopts them, because blocks carved there may still be alive or
// sit on other threads' free lists (the parallel engine's workers exit after every run).
#include <strata/component.hpp>

#include <sys/mman.h>

#include <array>
#include <map>
#include <cstdlib>
#include <mutex>
#include <new>
#include <vector>

namespace strata::detail {
namespace {

constexpr std::size_t kChunk = std::size_t{2} << 20;

struct FreeBlock {
  FreeBlock* next;
};

void* fresh_chunk(std::size_t bytes) {
  std::size_t size = (bytes + kChunk - 1) / kChunk * kChunk;
  void* p = std::aligned_alloc(kChunk, size);
  if (!p) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
  madvise(p, size, MADV_HUGEPAGE);  // advice only: failure just means small pages
#endif
  return p;
}

// Bump allocation from the current chunk; the tail of a chunk too small for a request is
// abandoned (at most one request's size per chunk).
struct Carver {
  std::vector<void*> chunks;
  char* cur = nullptr;
  std::size_t left = 0;
  void* take(std::size_t bytes, std::size_t align) {
    std::size_t pad = cur ? (align - reinterpret_cast<std::uintptr_t>(cur) % align) % align : 0;
    if (!cur || left < pad + bytes) {
      std::size_t want = bytes > kChunk ? bytes : kChunk;
      cur = static_cast<char*>(fresh_chunk(want));
      chunks.push_back(cur);
      left = (want + kChunk - 1) / kChunk * kChunk;
      pad = 0;
    }
    void* p = cur + pad;
    cur += pad + bytes;
    left -= pad + bytes;
    return p;
  }
  ~Carver() {
    for (void* c : chunks) std::free(c);
  }
};

// Size classes: 16-byte steps up to 1 KiB (transactions), then 64-byte steps up to 64 KiB.
constexpr std::size_t kSmallStep = 16, kSmallMax = 1024;
constexpr std::size_t kLargeStep = 64, kLargeMax = 64 * 1024;
constexpr std::size_t kClasses = kSmallMax / kSmallStep + kLargeMax / kLargeStep;

std::size_t class_of(std::size_t bytes, std::size_t& rounded) {
  if (bytes <= kSmallMax) {
    std::size_t c = (bytes + kSmallStep - 1) / kSmallStep;
    rounded = c * kSmallStep;
    return c - 1;
  }
  std::size_t c = (bytes + kLargeStep - 1) / kLargeStep;
  rounded = c * kLargeStep;
  return kSmallMax / kSmallStep + c - 1;
}

struct Pools {
  // declared first so it is destroyed last: free lists point into its chunks
  Carver carver;
  std::array<FreeBlock*, kClasses> heads{};
};

// The hot path reads one 8-byte initial-exec TLS slot (a direct %fs load, no
// __tls_get_addr call); the pools themselves are created on a thread's first allocation
// and destroyed at its exit by an owner in ordinary (dynamic) TLS.
__attribute__((tls_model("initial-exec"))) thread_local Pools* tls_pools = nullptr;
__attribute__((tls_model("initial-exec"))) thread_local bool tls_exited = false;
// Pools of exited threads, adopted by new ones (never freed: see the top of the file).
std::mutex g_parked_mutex;
std::vector<Pools*>& parked() {
  static auto* v = new std::vector<Pools*>;
  return *v;
}
struct PoolsOwner {
  Pools* pools = nullptr;
  ~PoolsOwner() {
    tls_pools = nullptr;
    tls_exited = true;
    if (pools) {
      std::lock_guard lock(g_parked_mutex);
      parked().push_back(pools);
    }
  }
};
thread_local PoolsOwner tls_owner;

[[gnu::noinline]] Pools& make_pools() {
  Pools* p = nullptr;
  {
    std::lock_guard lock(g_parked_mutex);
    if (!parked().empty()) {
      p = parked().back();
      parked().pop_back();
    }
  }
  tls_owner.pools = p ? p : new Pools;
  tls_pools = tls_owner.pools;
  return *tls_pools;
}
inline Pools& pools() { return tls_pools ? *tls_pools : make_pools(); }

}  // namespace

void* pool_allocate(std::size_t bytes) {
  if (bytes == 0) bytes = 1;
  if (bytes > kLargeMax) return ::operator new(bytes, std::align_val_t{64});
  std::size_t rounded = 0;
  std::size_t c = class_of(bytes, rounded);
  Pools& p = pools();
  FreeBlock*& head = p.heads[c];
  if (head) {
    FreeBlock* b = head;
    head = b->next;
    return b;
  }
  return p.carver.take(rounded, rounded >= 64 ? 64 : 16);
}

void pool_release(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  if (bytes == 0) bytes = 1;
  if (bytes > kLargeMax) {
    ::operator delete(block, std::align_val_t{64});
    return;
  }
  std::size_t rounded = 0;
  std::size_t c = class_of(bytes, rounded);
  if (!tls_pools) {
    if (tls_exited) return;  // thread teardown: its chunks are already gone
    make_pools();
  }
  auto* b = static_cast<FreeBlock*>(block);
  b->next = tls_pools->heads[c];
  tls_pools->heads[c] = b;
}

// ---- the link-port region ----
// Declared ports (the ends of links) live in one reserved address range, so that the inline
// Port::send can tell a link port from an event port by its address alone, without
// touching the port (that cache miss is what deferring the send hides; component.hpp,
// SendQueue). The range is reserved once (PROT_NONE: no memory), and committed in 2 MiB
// huge-page chunks as ports are made. Ports are made and freed while building and tearing
// down, not per event: a mutex and free lists by size are enough. Where the reservation
// fails (an address-space limit), ports come from the ordinary pools and every send is
// immediate: slower, the same results.
namespace {
constexpr std::size_t kPortRegionBytes = std::size_t{16} << 30;  // 16 GiB of addresses: 350 M ports
struct PortRegion {
  std::mutex mutex;
  bool tried = false;
  char* base = nullptr;
  std::size_t committed = 0, used = 0;
  std::map<std::size_t, std::vector<void*>> free;  // by rounded size
  bool reserve() {
    if (tried) return base != nullptr;
    tried = true;
    void* p = mmap(nullptr, kPortRegionBytes + kChunk, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED) return false;
    auto at = (reinterpret_cast<std::uintptr_t>(p) + kChunk - 1) / kChunk * kChunk;  // 2 MiB aligned
    base = reinterpret_cast<char*>(at);
    return true;
  }
  bool contains(const void* p) const {
    return base && reinterpret_cast<std::uintptr_t>(p) - reinterpret_cast<std::uintptr_t>(base) < kPortRegionBytes;
  }
};
PortRegion& port_region() {
  static auto* r = new PortRegion;  // never destroyed: ports may be freed during static teardown
  return *r;
}
}  // namespace

void* allocate_link_ports(std::size_t bytes) {
  const std::size_t rounded = (bytes + 15) / 16 * 16;
  PortRegion& r = port_region();
  {
    std::lock_guard lock(r.mutex);
    if (r.reserve()) {
      auto& list = r.free[rounded];
      if (!list.empty()) {
        void* p = list.back();
        list.pop_back();
        return p;
      }
      if (r.used + rounded <= kPortRegionBytes) {
        if (r.used + rounded > r.committed) {
          std::size_t grow = (r.used + rounded - r.committed + kChunk - 1) / kChunk * kChunk;
          if (r.committed + grow > kPortRegionBytes) grow = kPortRegionBytes - r.committed;
          if (mprotect(r.base + r.committed, grow, PROT_READ | PROT_WRITE) != 0) throw std::bad_alloc();
#ifdef MADV_HUGEPAGE
          madvise(r.base + r.committed, grow, MADV_HUGEPAGE);  // advice only
#endif
          r.committed += grow;
        }
        void* p = r.base + r.used;
        r.used += rounded;
        return p;
      }
    }
  }
  return pool_allocate(bytes);  // no region, or a full one: ports whose sends are immediate
}

void release_link_ports(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  PortRegion& r = port_region();
  if (!r.contains(block)) {
    pool_release(block, bytes);
    return;
  }
  std::lock_guard lock(r.mutex);
  try {
    r.free[(bytes + 15) / 16 * 16].push_back(block);
  } catch (...) {
    // out of memory while tearing down: the block is simply not reused
  }
}

std::uintptr_t link_port_region_begin() {
  std::lock_guard lock(port_region().mutex);
  return reinterpret_cast<std::uintptr_t>(port_region().base);
}
std::size_t link_port_region_bytes() {
  std::lock_guard lock(port_region().mutex);
  return port_region().base ? kPortRegionBytes : 0;
}

}  // namespace strata::detail
