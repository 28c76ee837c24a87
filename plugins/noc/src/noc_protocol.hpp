// noc_protocol.hpp - what the noc plugins (noc.router, noc.ni) exchange besides the SDK's
// Packet, and the defaults they must share. Private to plugins/noc: other plugins speak
// only the standard "noc" Packet and "xfer" TransferRequest (docs/PROTOCOLS.md).
//
// Flow control is credit-based at packet granularity (virtual cut-through): a receiver's
// input buffer has `vcs` virtual channels of `vc_depth` packets each; a sender holds one
// credit per free packet slot of each downstream VC and sends only with a credit. When a
// packet's tail leaves a buffer, the receiver returns a Credit over the same link (the
// reverse direction), so it arrives one link latency later: back-pressure propagates hop
// by hop to the injecting network interface.
//
// Buffer geometry handshake: both ends of every noc link start with credits computed from
// their OWN vcs/vc_depth (so traffic can start at time zero); at init each end also sends a
// Credit of kind `config` announcing its geometry, and the receiver throws a ModelError if
// it differs from what it assumed. A network therefore uses one buffer geometry throughout.
#pragma once

#include <strata/strata.hpp>
#include <strata/noc/link_model.hpp>

#include <cstdint>
#include <string>
#include <type_traits>

namespace strata::noc {

/// A credit (one free packet slot of input VC `vc`, `count` of them), or the buffer
/// geometry announcement sent once per link at init. Zero wire bytes: credits travel on
/// dedicated wires and never serialise behind packets.
struct Credit final : Transaction {
  enum class Kind : std::uint8_t { credit, config };
  Kind kind = Kind::credit;
  std::uint8_t vc = 0;
  std::uint16_t count = 1;
  std::uint16_t vcs = 0;    // config only: VCs of the announcing end's input buffer
  std::uint32_t depth = 0;  // config only: packets per VC
  bool message_level = false;  // config only: the announcing end runs fidelity = "message"
  const char* type_name() const override { return "noc.credit"; }
  void serialize(ByteBuffer& out) const override {
    out.put(kind);
    out.put(vc);
    out.put(count);
    out.put(vcs);
    out.put(depth);
    out.put(message_level);
  }
  void deserialize(ByteBuffer& in) override {
    kind = in.get<Kind>();
    vc = in.get<std::uint8_t>();
    count = in.get<std::uint16_t>();
    vcs = in.get<std::uint16_t>();
    depth = in.get<std::uint32_t>();
    message_level = in.get<bool>();
  }
};

/// fidelity = "message": a whole transfer (or its completion) crosses each link as this one
/// transaction. `packets` and `flits` are what the flit level would send for it (packets
/// of at most max_packet bytes, each ceil(8 B / flit_width) flits, at least one), so every
/// router books the same per-flit and per-packet energy and serialises for `flits` cycles.
/// Contention is kept by reserving each output link (busy until t), by the FIFO order of
/// each input VC and by credits per message: a message holds min(packets, vc_depth) slots of
/// the receiver's input VC until its tail has left (plugins/noc/README.md "Fidelity").
struct Message final : Transaction {
  std::uint32_t src = 0, dst = 0;  // endpoint ids
  std::uint64_t message = 0;       // transfer id (as Packet::message)
  std::uint64_t bytes = 0;         // payload of the whole transfer (ack: ack_size)
  std::uint64_t tag = 0;           // data: the requester's cookie; ack: arrival time of the last byte (ps)
  std::uint64_t flits = 1;
  std::uint32_t packets = 1;
  std::uint16_t hops = 0;
  std::uint8_t vc = 0;             // input VC it occupies at the receiver (chosen by the sender)
  bool ack = false;
  Time injected_at = 0;
  const char* type_name() const override { return "noc.message"; }
  std::uint64_t wire_bytes() const override { return bytes; }
  void serialize(ByteBuffer& out) const override {
    out.put(src);
    out.put(dst);
    out.put(message);
    out.put(bytes);
    out.put(tag);
    out.put(flits);
    out.put(packets);
    out.put(hops);
    out.put(vc);
    out.put(ack);
    out.put(injected_at);
  }
  void deserialize(ByteBuffer& in) override {
    src = in.get<std::uint32_t>();
    dst = in.get<std::uint32_t>();
    message = in.get<std::uint64_t>();
    bytes = in.get<std::uint64_t>();
    tag = in.get<std::uint64_t>();
    flits = in.get<std::uint64_t>();
    packets = in.get<std::uint32_t>();
    hops = in.get<std::uint16_t>();
    vc = in.get<std::uint8_t>();
    ack = in.get<bool>();
    injected_at = in.get<Time>();
  }
};

/// The two fidelity levels of the noc family (parameter `fidelity` of noc.router and noc.ni).
inline constexpr const char* kFlitLevel = "flit";
inline constexpr const char* kMessageLevel = "message";

/// `t` as the transaction of the fidelity its receiver `who` runs (Message at the message
/// level, Packet at the flit level); anything else means the two ends of a link run different
/// levels, a configuration mistake reported as such.
template <class T>
TxnPtr<T> as_level(TxnPtr<> t, const std::string& who) {
  static_assert(std::is_same_v<T, Message> || std::is_same_v<T, Packet>);
  if (!dynamic_cast<T*>(t.get()))
    throw ModelError(who + ": fidelity = \"" + (std::is_same_v<T, Message> ? kMessageLevel : kFlitLevel) +
                     "\" but a '" + t->type_name() + "' arrived (set fidelity alike on every noc.router and noc.ni)");
  return std::move(t).as<T>();
}

/// A completion ("ack") packet is a standard Packet with this sequence number: the
/// destination NI sends one back to the source NI when the last packet of a transfer has
/// arrived; `message` names the transfer and `tag` carries the arrival time (ps).
inline constexpr std::uint32_t kAckSequence = 0xFFFFFFFFu;

inline constexpr std::uint32_t kNone = 0xFFFFFFFFu;  // "no port / no router / no VC"
inline constexpr std::int64_t kMaxVcs = 64;

/// What both ends of a noc link must agree on, and so the one struct that noc.router and
/// noc.ni parameters derive from: the flit width and clock (the model's LinkTiming, the
/// only copy of their defaults), the input buffer geometry and the fidelity level. Each
/// component declares these fields itself, documented for its side of the link.
struct LinkParams : LinkTiming {
  std::int64_t vcs = 2;
  std::int64_t vc_depth = 4;  // packets per VC
  std::string fidelity = kFlitLevel;  // "message": one event per transfer per hop (README "Fidelity")
};

/// Declares fields of P or of one of its bases (a model struct P derives from) under their
/// TOML names, so parse, validation, `strata info` and the model read that one field:
///   const ModelFields<P> field{s};  field("clock", &P::frequency, "doc");
template <class P>
struct ModelFields {
  ParamSpec<P>& spec;
  template <class F, class Owner>
  ParamDeclRef operator()(const char* name, F Owner::*member, const char* doc) const {
    static_assert(std::is_base_of_v<Owner, P>, "ModelFields: the field must belong to P or a base of P");
    return spec.param(name, static_cast<F P::*>(member), doc);
  }
};

}  // namespace strata::noc
