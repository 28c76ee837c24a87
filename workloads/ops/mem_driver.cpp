#include "mem_driver.hpp"

#include <algorithm>

namespace strata::ops {

void MemOpsParams::declare(ParamSpec<MemOpsParams>& s) {
  using P = MemOpsParams;
  s.param("op", &P::op, "read or write").choices({"read", "write"});
  s.param("address", &P::address, "per entry: first byte address");
  s.param("bytes", &P::bytes, "per entry: bytes to move");
  s.param("repeat", &P::repeat, "times the list is sent").range(1, 1 << 24);
  s.param("mode", &P::mode, "all at time 0, or serial (next after the answer)").choices({"all", "serial"});
  s.param("end_run", &P::end_run, "end the simulation when every request is answered");
}

MemDriver::MemDriver(const ComponentContext& ctx)
    : Component(ctx), p_(ctx.params<MemOpsParams>()), mem_(&port("mem")) {
  entries_ = std::max(p_.address.size(), p_.bytes.size());
  std::string error;
  for (const auto* list : {&p_.address, &p_.bytes}) {
    if (list->empty() || (list->size() > 1 && list->size() != entries_))
      error = "address and bytes must be non-empty and of the same length (or length 1)";
    for (auto v : *list)
      if (v < 0) error = "address and bytes must be >= 0";
  }
  if (!error.empty()) throw ConfigError(name() + ": " + error);
  total_ = entries_ * static_cast<std::uint64_t>(p_.repeat);
  mem_->on_receive<&MemDriver::on_answer>(this);
  stat("sent", sent_);
  stat("answered", answered_);
  stat("ok", ok_);
  stat("address_error", address_error_);
  stat("makespan", makespan_);
  stat("latency", latency_);
}

void MemDriver::init() {
  if (!has_link("mem")) return;
  do send_next();
  while (p_.mode == "all" && sent_count_ < total_);
}

void MemDriver::send_next() {
  if (sent_count_ >= total_) return;
  const std::size_t j = sent_count_ % entries_;
  auto pick = [&](const std::vector<std::int64_t>& v) { return static_cast<std::uint64_t>(v.size() == 1 ? v[0] : v[j]); };
  auto r = make<MemRequest>();
  r->op = p_.op == "write" ? MemRequest::Op::write : MemRequest::Op::read;
  r->address = pick(p_.address);
  r->bytes = pick(p_.bytes);
  r->tag = sent_count_++;
  r->issued_at = now();
  ++sent_;
  ++outstanding_;
  mem_->send(std::move(r));
}

void MemDriver::on_answer(TxnPtr<> t) {
  auto r = std::move(t).as<MemRequest>();
  ++answered_;
  --outstanding_;
  if (r->status == Status::ok) ++ok_;
  if (r->status == Status::address_error) ++address_error_;
  latency_.add(static_cast<double>(now() - r->issued_at));
  makespan_ += now() - makespan_.value();
  if (p_.mode == "serial") send_next();
  if (outstanding_ == 0 && sent_count_ >= total_ && p_.end_run) end_simulation();
}

ComponentDecl mem_ops_decl() {
  return component<MemDriver, MemOpsParams>("workload.mem_ops")
      .summary("Sends a list of MemRequests to one memory port and measures them")
      .description("Entry j = (address[j], bytes[j]); the list is sent `repeat` times, all at time 0 or "
                   "serially. Latency is send to answer, links included.")
      .port("mem", PortDir::out, "mem", "the memory (one element of its port[])")
      .counter("sent", "count", "requests sent")
      .counter("answered", "count", "requests answered")
      .counter("ok", "count", "answers with status ok")
      .counter("address_error", "count", "answers with status address_error")
      .counter("makespan", "ps", "time of the last answer")
      .accumulator("latency", "ps", "send to answer per request");
}

}  // namespace strata::ops
