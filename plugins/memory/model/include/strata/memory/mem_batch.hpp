// mem_batch.hpp - the MemRequests one requester sends at one instant, carried as one event
// (issue 17: fewer events where nothing observable changes). A memory serves a batch's
// requests one by one, in order, exactly as if they had arrived as separate events, and
// answers each on its own: the kernel orders events of equal time by (priority, sending
// port, that port's sequence), so requests sent back to back from one port at one instant
// are already consecutive in every run; nothing can run between them, and serving them in
// one handler changes no result (only `simulation.events`). A requester batches only on a
// link without bandwidth (a bandwidth-limited link would serialise the batch as a whole).
// Header-only; plugins only (it needs the SDK). Every memory a requester may batch towards
// calls serve_batch() first in its receive handler (memory.hbm, memory.hbm_pim).
#pragma once

#include <strata/transaction.hpp>
#include <strata/transactions.hpp>

#include <array>
#include <cstdint>
#include <stdexcept>
#include <typeinfo>

namespace strata::memory {

struct MemBatch final : Transaction {
  // A systolic fold sends at most 4 requests at once (3 loads, 1 store).
  static constexpr std::uint32_t kCapacity = 4;
  std::array<TxnPtr<MemRequest>, kCapacity> requests;
  std::uint32_t count = 0;

  void add(TxnPtr<MemRequest> r) {
    if (count == kCapacity) throw std::logic_error("MemBatch: more than kCapacity requests");
    requests[count++] = std::move(r);
  }
  const char* type_name() const override { return "mem.batch"; }
  std::uint64_t wire_bytes() const override {
    std::uint64_t bytes = 0;
    for (std::uint32_t i = 0; i < count; ++i) bytes += requests[i]->wire_bytes();
    return bytes;
  }
  void serialize(ByteBuffer& out) const override {
    out.put(count);
    for (std::uint32_t i = 0; i < count; ++i) requests[i]->serialize(out);
  }
  void deserialize(ByteBuffer& in) override {
    count = in.get<std::uint32_t>();
    if (count > kCapacity) throw std::runtime_error("mem.batch: more requests than a batch holds");
    for (std::uint32_t i = 0; i < count; ++i) {
      requests[i] = make<MemRequest>();
      requests[i]->deserialize(in);
    }
  }
};

// In a memory's receive handler, first: when `t` is a MemBatch, `serve(port, request)` (the
// handler itself) serves its requests in order and this returns true.
// (typeid, not dynamic_cast: an exact-type test, the cheap one on every memory request.)
template <class Serve>
bool serve_batch(Port& port, TxnPtr<>& t, Serve&& serve) {
  if (typeid(*t) != typeid(MemBatch)) return false;
  auto& batch = static_cast<MemBatch&>(*t);
  for (std::uint32_t i = 0; i < batch.count; ++i) serve(port, TxnPtr<>(std::move(batch.requests[i])));
  return true;
}

}  // namespace strata::memory
