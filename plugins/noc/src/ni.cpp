#include "ni.hpp"

#include <algorithm>
#include <string>

namespace strata::noc {

void NiParams::declare(ParamSpec<NiParams>& s) {
  using P = NiParams;
  const ModelFields<P> field{s};
  field("clock", &P::frequency, "injection clock: one flit per cycle into the router");
  field("flit_width", &P::width_bits, "flit width, bits (as the routers')").range(8, 1 << 16);
  field("vcs", &P::vcs, "VCs of the router input and of this NI's ejection buffer (as the routers')").range(1, kMaxVcs);
  field("vc_depth", &P::vc_depth, "packets per VC (as the routers')").range(1, 65535);
  field("max_packet", &P::max_packet, "largest packet payload; transfers are split into packets").range(1, 1e12);
  field("ack_size", &P::ack_size, "payload of the completion packet sent back to the source");
  field("sink_bandwidth", &P::sink_bandwidth,
        "rate at which received packets are consumed (0: as fast as they arrive)");
  field("notify_arrival", &P::notify_arrival, "hand the requester a copy of each arrived transfer (arrived = true)");
  field("histogram_range", &P::histogram_range, "upper end of the packet latency histogram (100 bins)");
  field("fidelity", &P::fidelity,
        "flit: packets with credits; message: a transfer crosses each link as one event (set alike on every "
        "noc.router and noc.ni)")
      .choices({kFlitLevel, kMessageLevel});
}

NetworkInterface::NetworkInterface(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<NiParams>()),
      cycle_(p_.frequency.period()),
      ctrl_(&port("ctrl")),
      router_(&port("router")),
      tx_wake_(&event_port<&NetworkInterface::on_tx_wake>(this, "tx")),
      consumed_(&event_port<&NetworkInterface::on_consumed>(this, "consumed")),
      packet_latency_(0, static_cast<double>(p_.histogram_range.ps), 100) {
  ctrl_->on_receive<&NetworkInterface::on_ctrl>(this);
  router_->on_receive<&NetworkInterface::on_router>(this);
  stat("transfers", transfers_);
  stat("bytes_sent", bytes_sent_);
  stat("packets_sent", packets_sent_);
  stat("packets_received", packets_received_);
  stat("bytes_received", bytes_received_);
  stat("transfers_received", transfers_received_);
  stat("acks_sent", acks_sent_);
  stat("credit_stall_time", credit_stall_time_);
  stat("packet_latency", packet_latency_);
  stat("hops", hops_);
  stat("transfer_latency", transfer_latency_);
  credits_.assign(static_cast<std::size_t>(p_.vcs), static_cast<std::uint32_t>(p_.vc_depth));
  rx_occupancy_.assign(static_cast<std::size_t>(p_.vcs), 0);
  message_ = p_.fidelity == kMessageLevel;
}

void NetworkInterface::init() {
  const SystemView& sys = system();
  id_ = static_cast<std::uint32_t>(sys.ordinal(name()));
  for (const auto& c : sys.components) endpoints_ += c.type == type();
  next_message_ = static_cast<std::uint64_t>(id_) << 40;
  if (router_->bandwidth() > 0)
    throw ConfigError(name() + ".router: a noc link must not set a bandwidth: the NI serialises packets itself");
  if (router_->connected()) {
    auto c = make<Credit>();
    c->kind = Credit::Kind::config;
    c->vcs = static_cast<std::uint16_t>(p_.vcs);
    c->depth = static_cast<std::uint32_t>(p_.vc_depth);
    c->message_level = message_;
    router_->send(std::move(c));
  }
}

void NetworkInterface::on_ctrl(TxnPtr<> t) {
  auto req = std::move(t).as<TransferRequest>();
  if (req->arrived) return;  // a copy echoed back by a requester: nothing to do
  req->src = id_;
  if (req->dst >= endpoints_ || !router_->connected()) {
    req->status = Status::address_error;
    ctrl_->send(std::move(req));
    return;
  }
  if (req->dst == id_) {  // local: nothing crosses the network
    if (p_.notify_arrival) {
      auto copy = make<TransferRequest>(*req);
      copy->arrived = true;
      copy->status = Status::ok;
      copy->completed_at = now();
      ctrl_->send(std::move(copy));
    }
    ++transfers_received_;
    complete(std::move(req), now(), now());
    return;
  }
  if (message_) {
    const std::uint64_t mp = p_.max_packet.count;
    const auto width = p_.width_bits;
    auto msg = make<Message>();
    msg->src = id_;
    msg->dst = req->dst;
    msg->message = next_message_++;
    msg->bytes = req->bytes;
    msg->tag = req->tag;
    // the flit level's packets: P - 1 full ones and the rest (one packet for 0 bytes)
    msg->packets = packets_of(req->bytes);
    msg->flits = (msg->packets - 1) * flit_count(mp, width) +
                 flit_count(packet_bytes(req->bytes, msg->packets - 1, mp), width);
    pending_.emplace(msg->message, Pending{std::move(req), now()});
    inject(std::move(msg));
    return;
  }
  Job j;
  j.dst = req->dst;
  j.message = next_message_++;
  j.bytes = req->bytes;
  j.tag = req->tag;
  j.packets = packets_of(req->bytes);
  pending_.emplace(j.message, Pending{std::move(req), now()});
  jobs_.push_back(j);
  pump();
}

std::uint32_t NetworkInterface::packets_of(std::uint64_t bytes) const {
  const std::uint64_t mp = p_.max_packet.count;
  return static_cast<std::uint32_t>(std::max<std::uint64_t>(1, (bytes + mp - 1) / mp));
}

std::uint64_t NetworkInterface::packet_bytes(std::uint64_t bytes, std::uint64_t k, std::uint64_t max_packet) {
  return std::min<std::uint64_t>(max_packet, bytes - std::min<std::uint64_t>(bytes, k * max_packet));
}

void NetworkInterface::complete(TxnPtr<TransferRequest> req, Time accepted, Time completed_at) {
  req->status = Status::ok;
  req->completed_at = completed_at;
  ++transfers_;
  bytes_sent_ += req->bytes;
  transfer_latency_.add(static_cast<double>(completed_at - accepted));
  if (tracing())
    trace("transfer", accepted, completed_at, "noc",
          "{\"dst\":" + std::to_string(req->dst) + ",\"bytes\":" + std::to_string(req->bytes) + "}");
  ctrl_->send(std::move(req));
}

void NetworkInterface::on_completion(std::uint64_t message, Time consumed_at) {
  auto it = pending_.find(message);
  if (it == pending_.end()) throw ModelError(name() + ": completion for an unknown transfer");
  Pending pend = std::move(it->second);
  pending_.erase(it);
  complete(std::move(pend.req), pend.accepted, consumed_at);
}

void NetworkInterface::report_arrival(std::uint32_t src, std::uint64_t bytes, std::uint64_t tag) {
  if (!p_.notify_arrival || !ctrl_->connected()) return;
  auto copy = make<TransferRequest>();
  copy->src = src;
  copy->dst = id_;
  copy->bytes = bytes;
  copy->tag = tag;
  copy->arrived = true;
  copy->status = Status::ok;
  copy->completed_at = now();
  ctrl_->send(std::move(copy));
}

void NetworkInterface::pump() {
  const Time t = now();
  if (acks_.empty() && jobs_.empty()) return;
  if (tx_busy_ > t) {
    if (!(tx_wake_at_ >= t && tx_wake_at_ <= tx_busy_)) {
      tx_wake_at_ = tx_busy_;
      schedule(*tx_wake_, tx_busy_ - t);
    }
    return;
  }
  std::uint32_t vc = kNone;
  for (std::uint32_t v = 0; v < credits_.size(); ++v)
    if (credits_[v] > 0 && (vc == kNone || credits_[v] > credits_[vc])) vc = v;
  if (vc == kNone) {
    if (!stalled_) stalled_ = true, stall_since_ = t;
    return;  // a credit will call pump()
  }
  if (stalled_) credit_stall_time_ += t - stall_since_, stalled_ = false;
  auto& queue = acks_.empty() ? jobs_ : acks_;
  Job& j = queue.front();
  auto pkt = make<Packet>();
  pkt->src = id_;
  pkt->dst = j.dst;
  pkt->message = j.message;
  pkt->packets_in_message = j.packets;
  pkt->message_bytes = j.bytes;
  pkt->tag = j.tag;
  pkt->vc = static_cast<std::uint8_t>(vc);
  pkt->injected_at = t;
  if (j.ack) {
    pkt->sequence = kAckSequence;
    pkt->bytes = p_.ack_size.count;
  } else {
    pkt->sequence = j.next;
    pkt->bytes = packet_bytes(j.bytes, j.next, p_.max_packet.count);
  }
  const auto flits = flit_count(pkt->bytes, p_.width_bits);
  --credits_[vc];
  ++packets_sent_;
  router_->send(std::move(pkt));
  tx_busy_ = t + flits * cycle_;
  if (++j.next >= j.packets) queue.pop_front();
  if (!acks_.empty() || !jobs_.empty()) pump();  // schedules the next injection
}

// Message level: completions first, then transfers in order (as the flit level's queues);
// a message leaves when a router input VC has min(packets, vc_depth) free slots, and the
// injection link is then reserved for its flits cycles.
void NetworkInterface::inject(TxnPtr<Message> msg) {
  (msg->ack ? ack_messages_ : messages_).push_back(std::move(msg));
  pump_messages();
}

void NetworkInterface::pump_messages() {
  const Time t = now();
  while (!ack_messages_.empty() || !messages_.empty()) {
    auto& queue = ack_messages_.empty() ? messages_ : ack_messages_;
    Message& m = *queue.front();
    const auto slots = static_cast<std::uint32_t>(std::min<std::uint64_t>(m.packets, static_cast<std::uint64_t>(p_.vc_depth)));
    std::uint32_t vc = kNone;
    for (std::uint32_t v = 0; v < credits_.size(); ++v)
      if (credits_[v] >= slots && (vc == kNone || credits_[v] > credits_[vc])) vc = v;
    if (vc == kNone) {
      if (!stalled_) stalled_ = true, stall_since_ = t;
      return;  // a credit calls pump_messages()
    }
    if (stalled_) credit_stall_time_ += t - stall_since_, stalled_ = false;
    const Time start = std::max(t, tx_busy_);
    tx_busy_ = start + static_cast<Time>(m.flits) * cycle_;
    credits_[vc] -= slots;
    m.vc = static_cast<std::uint8_t>(vc);
    m.injected_at = start;
    packets_sent_ += m.packets;
    router_->send(std::move(queue.front()), start - t);
    queue.pop_front();
  }
}

// The tail arrives flits - 1 cycles after the head; with a sink_bandwidth each of the flit
// level's packets is consumed in turn when its own tail is in (as on_router does per packet).
void NetworkInterface::on_message(TxnPtr<Message> msg) {
  const Time head = now();
  Time consumed = head + static_cast<Time>(msg->flits - 1) * cycle_;
  if (p_.sink_bandwidth.bytes_per_s > 0) {
    const std::uint64_t mp = msg->ack ? msg->bytes : p_.max_packet.count;
    const auto width = p_.width_bits;
    std::uint64_t flits_in = 0;
    for (std::uint32_t k = 0; k < msg->packets; ++k) {
      const std::uint64_t bytes = packet_bytes(msg->bytes, k, mp);
      flits_in += flit_count(bytes, width);
      const Time tail = head + static_cast<Time>(flits_in - 1) * cycle_;
      consumed = std::max(tail, sink_free_) + p_.sink_bandwidth.transfer_time(bytes);
      sink_free_ = consumed;
    }
  }
  // its slots are free once it is consumed: the credit leaves then
  auto credit = make<Credit>();
  credit->vc = msg->vc;
  credit->count = static_cast<std::uint16_t>(std::min<std::uint64_t>(msg->packets, static_cast<std::uint64_t>(p_.vc_depth)));
  router_->send(std::move(credit), consumed - head);
  if (consumed == head) {
    on_message_consumed(std::move(msg));
    return;
  }
  consumed_->send(std::move(msg), consumed - head);
}

void NetworkInterface::on_message_consumed(TxnPtr<Message> msg) {
  if (msg->ack) {
    on_completion(msg->message, static_cast<Time>(msg->tag));
    return;
  }
  packets_received_ += msg->packets;
  bytes_received_ += msg->bytes;
  packet_latency_.add(static_cast<double>(now() - msg->injected_at));
  hops_.add(static_cast<double>(msg->hops));
  ++transfers_received_;
  report_arrival(msg->src, msg->bytes, msg->tag);
  auto ack = make<Message>();
  ack->src = id_;
  ack->dst = msg->src;
  ack->message = msg->message;
  ack->bytes = p_.ack_size.count;
  ack->tag = now();
  ack->ack = true;
  ack->flits = flit_count(ack->bytes, p_.width_bits);
  ++acks_sent_;
  inject(std::move(ack));
}

void NetworkInterface::on_tx_wake(TxnPtr<>) {
  if (tx_wake_at_ == now()) tx_wake_at_ = kTimeMax;
  pump();
}

void NetworkInterface::on_router(TxnPtr<> t) {
  if (auto* c = dynamic_cast<Credit*>(t.get())) {
    if (c->kind == Credit::Kind::config) {
      if (c->message_level != message_)
        throw ModelError(name() + ": its router runs fidelity = \"" + (c->message_level ? kMessageLevel : kFlitLevel) +
                         "\", this NI \"" + p_.fidelity + "\" (set fidelity alike on every noc.router and noc.ni)");
      if (c->vcs != p_.vcs || c->depth != p_.vc_depth)
        throw ModelError(name() + ": its router's buffers have " + std::to_string(c->vcs) + " VCs x " +
                         std::to_string(c->depth) + " packets, this NI assumes " + std::to_string(p_.vcs) + " x " +
                         std::to_string(p_.vc_depth) + " (set vcs and vc_depth alike on routers and NIs)");
      return;
    }
    credits_[c->vc] += c->count;
    if (message_)
      pump_messages();
    else
      pump();
    return;
  }
  if (message_) {
    on_message(as_level<Message>(std::move(t), name()));
    return;
  }
  auto pkt = as_level<Packet>(std::move(t), name());
  if (pkt->vc >= p_.vcs || rx_occupancy_[pkt->vc] >= static_cast<std::uint32_t>(p_.vc_depth))
    throw ModelError(name() + ": packet arrived on VC " + std::to_string(pkt->vc) +
                     " without a free slot (credit protocol broken)");
  ++rx_occupancy_[pkt->vc];
  const auto flits = flit_count(pkt->bytes, p_.width_bits);
  Time consumed = now() + (flits - 1) * cycle_;  // the tail has arrived
  if (p_.sink_bandwidth.bytes_per_s > 0) {
    consumed = std::max(consumed, sink_free_) + p_.sink_bandwidth.transfer_time(pkt->bytes);
    sink_free_ = consumed;
  }
  consumed_->send(std::move(pkt), consumed - now());
}

void NetworkInterface::on_consumed(TxnPtr<> t) {
  if (message_) {
    on_message_consumed(std::move(t).as<Message>());
    return;
  }
  auto pkt = std::move(t).as<Packet>();
  --rx_occupancy_[pkt->vc];
  auto credit = make<Credit>();
  credit->vc = pkt->vc;
  router_->send(std::move(credit));
  if (pkt->sequence == kAckSequence) {
    on_completion(pkt->message, static_cast<Time>(pkt->tag));
    return;
  }
  ++packets_received_;
  bytes_received_ += pkt->bytes;
  packet_latency_.add(static_cast<double>(now() - pkt->injected_at));
  hops_.add(static_cast<double>(pkt->hops));
  std::uint32_t got = pkt->packets_in_message == 1 ? 1 : ++arrived_[pkt->message];
  if (got < pkt->packets_in_message) return;
  arrived_.erase(pkt->message);
  ++transfers_received_;
  report_arrival(pkt->src, pkt->message_bytes, pkt->tag);
  Job ack;
  ack.dst = pkt->src;
  ack.message = pkt->message;
  ack.tag = now();
  ack.ack = true;
  acks_.push_back(ack);
  ++acks_sent_;
  pump();
}

void NetworkInterface::finish() {
  if (stalled_) credit_stall_time_ += now() - stall_since_, stalled_ = false;
}

}  // namespace strata::noc
