// ni.hpp - noc.ni: the network interface between a requester (core, DMA, traffic
// generator) and its router.
//
// A TransferRequest of B bytes on `ctrl` becomes ceil(B / max_packet) packets (one packet
// for B = 0), queued in an unbounded source queue and injected into the router's input
// buffer one at a time, each when a credit for some VC is held, occupying the injection
// link for flits cycles. The destination NI buffers arriving packets like a router input
// (vcs x vc_depth packets), consumes each when its tail has arrived (or, with a
// sink_bandwidth, one after another at that rate) and only then returns the credit: a slow
// sink back-pressures the network. When the last packet of a transfer has been consumed
// it (1) hands its requester a copy with arrived = true (notify_arrival), and (2) sends a
// completion packet (ack_size bytes, sequence = kAckSequence) back to the source NI through
// the network. The source NI answers the original request: status ok, completed_at = the
// time the last byte was consumed at the destination. Acks and data share the network;
// the source queue is unbounded, so ejection never waits for injection and the ack cannot
// cause a protocol deadlock. Endpoint id = system().ordinal(own name).
//
// fidelity = "message": the transfer leaves as one Message (noc_protocol.hpp) carrying the
// packet and flit counts the flit level would send; it is injected (completions first) when
// a router input VC has min(packets, vc_depth) free slots, reserving the injection link for
// its flits cycles; the destination consumes it when its tail has arrived (per packet at
// sink_bandwidth if set), returns its slots' credit then, and answers with a one-message
// completion.
#pragma once

#include "noc_protocol.hpp"

#include <deque>
#include <unordered_map>
#include <vector>

namespace strata::noc {

// The link parameters (flit width, clock, VCs, fidelity) are the ones noc.router derives from
// too (noc_protocol.hpp LinkParams); what follows is the interface's own.
struct NiParams : LinkParams {
  Bytes max_packet{128};  // ASSUMPTION: 8 flits of 128 bits (Atleus: unpublished)
  Bytes ack_size{8};      // completion packet payload: a message id fits one flit
  Bandwidth sink_bandwidth{0};
  bool notify_arrival = true;
  Duration histogram_range{500 * kNanosecond};
  static void declare(ParamSpec<NiParams>& s);
};

class NetworkInterface final : public Component {
 public:
  explicit NetworkInterface(const ComponentContext& ctx);
  void init() override;
  void finish() override;

 private:
  struct Job {  // packets of one transfer (or one ack) still to inject
    std::uint32_t dst = 0;
    std::uint64_t message = 0, bytes = 0, tag = 0;
    std::uint32_t next = 0, packets = 1;
    bool ack = false;
  };
  struct Pending {
    TxnPtr<TransferRequest> req;
    Time accepted = 0;
  };

  void on_ctrl(TxnPtr<> t);
  void on_router(TxnPtr<> t);
  void on_tx_wake(TxnPtr<> t);
  void on_consumed(TxnPtr<> t);
  void pump();
  // How a transfer is split, at both fidelities: ceil(bytes / max_packet) packets (one for 0
  // bytes); packet k carries what is left of `bytes`, at most max_packet.
  std::uint32_t packets_of(std::uint64_t bytes) const;
  static std::uint64_t packet_bytes(std::uint64_t bytes, std::uint64_t k, std::uint64_t max_packet);
  void complete(TxnPtr<TransferRequest> req, Time accepted, Time completed_at);
  // Source side, both fidelities: the completion of transfer `message` came back; answer its
  // request (the last byte was consumed at the destination at `consumed_at`).
  void on_completion(std::uint64_t message, Time consumed_at);
  // Destination side, both fidelities: a whole transfer has been consumed; hand the requester
  // its copy (arrived = true) when notify_arrival is set and ctrl is linked.
  void report_arrival(std::uint32_t src, std::uint64_t bytes, std::uint64_t tag);
  // message level
  void inject(TxnPtr<Message> msg);
  void pump_messages();
  void on_message(TxnPtr<Message> msg);
  void on_message_consumed(TxnPtr<Message> msg);

  NiParams p_;
  Time cycle_;
  Port* ctrl_;
  Port* router_;
  Port* tx_wake_;
  Port* consumed_;
  std::uint32_t id_ = 0;
  std::size_t endpoints_ = 0;
  std::uint64_t next_message_ = 0;
  std::deque<Job> acks_, jobs_;
  std::deque<TxnPtr<Message>> ack_messages_, messages_;  // message level: waiting to be injected
  std::unordered_map<std::uint64_t, Pending> pending_;        // by message id (source side)
  std::unordered_map<std::uint64_t, std::uint32_t> arrived_;  // packets consumed per message (destination side)
  std::vector<std::uint32_t> credits_;                        // router input VC slots
  std::vector<std::uint32_t> rx_occupancy_;
  Time tx_busy_ = 0, tx_wake_at_ = kTimeMax, sink_free_ = 0, stall_since_ = 0;
  bool stalled_ = false;
  bool message_ = false;  // fidelity = "message"

  Counter transfers_, bytes_sent_, packets_sent_, packets_received_, bytes_received_, transfers_received_,
      acks_sent_, credit_stall_time_;
  Histogram packet_latency_;
  Accumulator hops_, transfer_latency_;
};

}  // namespace strata::noc
