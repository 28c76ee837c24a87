// strata/transactions.hpp - standard transactions, so independent plugins interoperate.
//
// Like TLM-2.0's generic payload: one object per whole transfer, the target answers by
// filling `status` (and timing fields) and sending the same object back. Modelled
// failures are a status, never an exception. Protocol names used in port declarations:
//   "mem"      MemRequest          (cores, DMA engines <-> memory controllers)
//   "noc"      Packet              (network interfaces <-> routers <-> links)
//   "xfer"     TransferRequest     (a core asks its network interface to move bytes)
//   "compute"  ComputeRequest      (a workload driver <-> a core)
#pragma once

#include <strata/transaction.hpp>

#include <cstdint>
#include <string>

namespace strata {

enum class Status : std::uint8_t { pending, ok, address_error, refused, capacity_error, unsupported };
const char* to_string(Status s);

/// A read or write of `bytes` at `address`. The memory answers with the same object.
struct MemRequest final : Transaction {
  enum class Op : std::uint8_t { read, write };
  Op op = Op::read;
  std::uint64_t address = 0;
  std::uint64_t bytes = 0;
  std::uint64_t tag = 0;        // requester's cookie, returned unchanged
  std::uint32_t requester = 0;  // requester's endpoint id (for multi-ported memories)
  Status status = Status::pending;
  Time issued_at = 0;
  const char* type_name() const override { return "mem.request"; }
  std::uint64_t wire_bytes() const override { return op == Op::write ? bytes : 0; }
  void serialize(ByteBuffer& out) const override;
  void deserialize(ByteBuffer& in) override;
};

/// A network packet between endpoints (network-interface ids). Routers forward it whole
/// (transaction-level wormhole: flits are counted, not simulated one by one).
struct Packet final : Transaction {
  std::uint32_t src = 0, dst = 0;    // endpoint ids
  std::uint64_t bytes = 0;           // payload bytes (headers are the router's business)
  std::uint64_t message = 0;         // id of the transfer this packet belongs to
  std::uint32_t sequence = 0;        // index of the packet within its transfer
  std::uint32_t packets_in_message = 1;
  std::uint64_t message_bytes = 0;   // bytes of the whole transfer
  std::uint64_t tag = 0;             // sender's cookie, delivered with the transfer
  std::uint8_t vc = 0;               // virtual channel (class) currently occupied
  std::uint16_t hops = 0;
  Time injected_at = 0;
  const char* type_name() const override { return "noc.packet"; }
  std::uint64_t wire_bytes() const override { return bytes; }
  void serialize(ByteBuffer& out) const override;
  void deserialize(ByteBuffer& in) override;
};

/// Ask a network interface to move `bytes` to endpoint `dst`; the NI answers with the same
/// object (status ok, completed_at set) when the last byte has arrived, and the
/// destination's NI delivers a copy to its core with `arrived = true`.
struct TransferRequest final : Transaction {
  std::uint32_t src = 0, dst = 0;
  std::uint64_t bytes = 0;
  std::uint64_t tag = 0;
  bool arrived = false;
  Status status = Status::pending;
  Time issued_at = 0, completed_at = 0;
  const char* type_name() const override { return "noc.transfer"; }
  void serialize(ByteBuffer& out) const override;
  void deserialize(ByteBuffer& in) override;
};

/// A unit of compute for a core. GEMM: (m x k) . (k x n); vector ops use `elements`.
/// The core answers with the same object: status, started_at and finished_at set.
struct ComputeRequest final : Transaction {
  enum class Kind : std::uint8_t { gemm, vector, load_weights };
  Kind kind = Kind::gemm;
  std::string op;                   // op class for stats/trace: "gemm", "softmax", "layernorm", ...
  std::uint64_t m = 0, k = 0, n = 0;
  std::uint64_t elements = 0;       // vector ops
  std::uint8_t weight_bits = 8, input_bits = 8, output_bits = 8;
  bool static_weights = false;      // weights pre-stored (ReRAM) vs streamed operands
  std::uint64_t weight_id = 0;      // identifies a stored weight matrix
  std::uint64_t tag = 0;
  std::uint64_t age = 0;            // arbitration key (oldest_first): lower is older, e.g. the
                                    // micro-batch's release order; fifo cores ignore it
  Status status = Status::pending;
  Time issued_at = 0, started_at = 0, finished_at = 0;
  double energy_j = 0;              // dynamic energy the core booked for this request
  const char* type_name() const override { return "compute.request"; }
  void serialize(ByteBuffer& out) const override;
  void deserialize(ByteBuffer& in) override;
};

}  // namespace strata
