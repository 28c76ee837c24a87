// mem_batch.hpp - the MemRequests one requester sends at one instant, carried as one event
// and answered as one event (issue 17: fewer events where nothing observable changes).
// Requests: the kernel orders events of equal time by (priority, sending port, that port's
// sequence), so requests sent back to back from one port at one instant are consecutive in
// every run and nothing can run between them; a memory serving them in order in one handler
// books exactly what it booked for the separate events. Answers: a requester that batches
// waits for all of a batch's answers and reacts to the last only (systolic.array), so one
// answer when the last request is done, from the same port at the same time, is what it
// saw. Only `simulation.events` changes. Both sides fall back to one event per request on
// a bandwidth-limited link (serialisation is per transaction). Header-only; plugins only
// (it needs the SDK). A memory a requester may batch towards serves through
// serve_requests() (memory.hbm, memory.hbm_pim).
#pragma once

#include <strata/component.hpp>
#include <strata/transaction.hpp>
#include <strata/transactions.hpp>

#include <algorithm>
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

// A memory's receive handler: `serve(request)` books one MemRequest arriving now, sets its
// status and returns the delay to its answer. A MemRequest is answered after that delay; a
// MemBatch's requests are served in order and the batch is answered as one event when its
// last request is done (the requester waits for all of them: nothing observable comes
// between), or, on a bandwidth-limited link, each request on its own as before.
template <class Serve>
void serve_requests(Port& port, TxnPtr<> t, Serve&& serve) {
  // (typeid, not dynamic_cast: an exact-type test, the cheap one on every memory request.)
  if (typeid(*t) == typeid(MemBatch)) {
    auto& batch = static_cast<MemBatch&>(*t);
    if (port.bandwidth() > 0) {
      for (std::uint32_t i = 0; i < batch.count; ++i) {
        const Time delay = serve(*batch.requests[i]);
        port.send(std::move(batch.requests[i]), delay);
      }
      return;
    }
    Time last = 0;
    for (std::uint32_t i = 0; i < batch.count; ++i) last = std::max(last, serve(*batch.requests[i]));
    port.send(std::move(t), last);
    return;
  }
  auto r = std::move(t).as<MemRequest>();
  const Time delay = serve(*r);
  port.send(std::move(r), delay);
}

}  // namespace strata::memory
