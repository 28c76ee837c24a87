#include "phold_lp.hpp"

namespace strata::phold {

STRATA_TRANSACTION_TYPE(PholdEvent);  // crosses MPI ranks in `mpirun strata run`

PholdLp::PholdLp(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<PholdParams>()),
      self_(&event_port<&PholdLp::handle>(this, "self")) {
  stat("events", events_);
  on_receive<&PholdLp::handle>("port", this);
}

void PholdLp::init() {
  outs_ = ports("port");
  lookahead_ = outs_.empty() ? 0 : outs_.front().latency();
  for (std::int64_t k = 0; k < p_.init; ++k) self_->send(make<PholdEvent>(), lookahead_ + draw_extra());
}

Time PholdLp::draw_extra() { return static_cast<Time>(rng().exponential(static_cast<double>(p_.mean.ps))); }

void PholdLp::handle(TxnPtr<> ev) {
  ++events_;
  static_cast<PholdEvent*>(ev.get())->payload += 1;  // forwarded, never reallocated
  std::uint64_t r = rng().below(outs_.size() + 1);
  Time extra = draw_extra();
  if (r == outs_.size())
    self_->send(std::move(ev), lookahead_ + extra);
  else
    outs_[r].send(std::move(ev), extra);  // the link supplies its latency; the port is not read here
}

}  // namespace strata::phold

STRATA_PLUGIN("phold", "1.0", "PHOLD benchmark logical process",
              strata::component<strata::phold::PholdLp, strata::phold::PholdParams>("bench.phold_lp")
                  .summary("PHOLD logical process: forwards each event to a random link or itself")
                  .description("Kernel benchmark model (Fujimoto 1990), equivalent to shared/peers/phold's sst-k16: "
                               "delay = link latency (lookahead) + Exp(mean). Not a hardware model.")
                  .multi_port("port", strata::PortDir::inout, "phold", "two-way links to other LPs")
                  .counter("events", "count", "events handled by this LP"))

const strata::PluginManifest& strata::phold::manifest() { return *strata_plugin_manifest(); }
