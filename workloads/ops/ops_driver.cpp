#include "ops_driver.hpp"

#include <algorithm>

namespace strata::ops {

void OpsParams::declare(ParamSpec<OpsParams>& s) {
  using P = OpsParams;
  s.param("op", &P::op,
          "gemm, gemm_t (transposed: y = W x through the k x n matrix; m vectors of n in, k out), load_weights "
          "or a vector op (softmax, layernorm, gelu, residual_add, lora_scale)");
  s.param("m", &P::m, "per entry: GEMM rows (input vectors); rows of a vector op");
  s.param("k", &P::k, "per entry: GEMM inner dimension");
  s.param("n", &P::n, "per entry: GEMM columns (outputs)");
  s.param("elements", &P::elements, "per entry: elements of a vector op (empty: m x n)");
  s.param("ids", &P::ids, "per entry: id of the stored matrix it names (empty: weight_id + j)");
  s.param("ages", &P::ages, "per entry: ComputeRequest::age, the key of oldest_first cores (empty: 0)");
  s.param("loads", &P::loads, "per entry: 1 = a load_weights of (k, n) for its id instead of `op` (empty: none)");
  s.param("repeat", &P::repeat, "times the list is sent").range(1, 1 << 24);
  s.param("mode", &P::mode, "all at time 0, or serial (next after the answer) per core").choices({"all", "serial"});
  s.param("target", &P::target, "every core gets the list, or entry j goes to core j % cores")
      .choices({"every", "round_robin"});
  s.param("static_weights", &P::static_weights, "gemms use stored matrix weight_id + j (PIM)");
  s.param("weight_id", &P::weight_id, "id of entry 0's stored matrix").min(0);
  s.param("preload", &P::preload, "send each entry's load_weights first (implies static_weights)");
  s.param("duplicate", &P::duplicate, "preloads ask for m copies (as free crossbars allow)");
  s.param("weight_bits", &P::weight_bits, "weight (filter) precision").range(1, 64);
  s.param("input_bits", &P::input_bits, "input (ifmap, vector element) precision").range(1, 64);
  s.param("output_bits", &P::output_bits, "output precision").range(1, 64);
  s.param("latency_max", &P::latency_max, "upper bound of the latency histogram");
  s.param("latency_bins", &P::latency_bins, "bins of the latency histogram").range(1, 1 << 16);
  s.param("end_run", &P::end_run, "end the simulation when every request is answered");
}

OpsDriver::OpsDriver(const ComponentContext& ctx)
    : Component(ctx),
      p_(ctx.params<OpsParams>()),
      latency_hist_(0.0, static_cast<double>(p_.latency_max.ps), p_.latency_bins) {
  entries_ = std::max({p_.m.size(), p_.k.size(), p_.n.size(), p_.elements.size(), p_.ids.size(), p_.loads.size(),
                       p_.ages.size()});
  std::string errors;
  for (const auto* list : {&p_.m, &p_.k, &p_.n, &p_.elements, &p_.ids, &p_.loads, &p_.ages}) {
    if (list->size() > 1 && list->size() != entries_)
      errors = "m, k, n, elements, ids, loads and ages must have the same length (or length 1)";
    for (auto v : *list)
      if (v < 0) errors = "m, k, n, elements, ids, loads and ages must be >= 0";
  }
  for (auto v : p_.loads)
    if (v > 1) errors = "loads entries must be 0 or 1";
  if (p_.m.empty() || p_.k.empty() || p_.n.empty()) errors = "m, k and n need at least one value";
  if (!errors.empty()) throw ConfigError(name() + ": " + errors);
  // "gemm_t" is a transposed gemm (y = W x through the stored k x n matrix, e.g. activation
  // gradients through frozen weights): a gemm request whose op string tells the core.
  kind_ = p_.op == "gemm" || p_.op == "gemm_t" ? ComputeRequest::Kind::gemm
          : p_.op == "load_weights" ? ComputeRequest::Kind::load_weights
                                    : ComputeRequest::Kind::vector;
  on_receive<&OpsDriver::on_answer>("cores", this);
  stat("sent", sent_);
  stat("answered", answered_);
  stat("ok", ok_);
  stat("unsupported", unsupported_);
  stat("capacity_error", capacity_error_);
  stat("refused", refused_);
  stat("address_error", address_error_);
  stat("makespan", makespan_);
  stat("latency", latency_);
  stat("service", service_);
  stat("energy", energy_);
  stat("latency_hist", latency_hist_);
}

std::int64_t OpsDriver::at(const std::vector<std::int64_t>& v, std::size_t j) const {
  if (v.empty()) return 0;
  return v.size() == 1 ? v.front() : v[j];
}

void OpsDriver::init() {
  const std::size_t cores = ports("cores").size();
  pending_.assign(cores, {});
  if (cores == 0) return;
  for (std::size_t c = 0; c < cores; ++c) {
    auto mine = [&](std::size_t j) { return p_.target == "every" || j % cores == c; };
    if (p_.preload)
      for (std::size_t j = 0; j < entries_; ++j)
        if (mine(j)) pending_[c].push_back(Item{j, true});
    for (std::int64_t r = 0; r < p_.repeat; ++r)
      for (std::size_t j = 0; j < entries_; ++j)
        if (mine(j)) pending_[c].push_back(Item{j, false});
  }
  for (std::size_t c = 0; c < cores; ++c) {
    const bool all = p_.mode == "all";
    while (!pending_[c].empty()) {
      send(c, pending_[c].front());
      pending_[c].pop_front();
      if (!all) break;
    }
  }
}

void OpsDriver::send(std::size_t core, const Item& item) {
  auto r = make<ComputeRequest>();
  const std::size_t j = item.entry;
  const bool load = item.load || at(p_.loads, j) == 1;
  r->kind = load ? ComputeRequest::Kind::load_weights : kind_;
  r->op = load ? "load_weights" : p_.op;
  r->m = static_cast<std::uint64_t>(at(p_.m, j));
  r->k = static_cast<std::uint64_t>(at(p_.k, j));
  r->n = static_cast<std::uint64_t>(at(p_.n, j));
  r->elements = static_cast<std::uint64_t>(at(p_.elements, j));
  if (load && !p_.duplicate) r->m = 0;
  r->weight_bits = static_cast<std::uint8_t>(p_.weight_bits);
  r->input_bits = static_cast<std::uint8_t>(p_.input_bits);
  r->output_bits = static_cast<std::uint8_t>(p_.output_bits);
  r->static_weights = p_.static_weights || p_.preload;
  r->weight_id = p_.ids.empty() ? static_cast<std::uint64_t>(p_.weight_id) + j : static_cast<std::uint64_t>(at(p_.ids, j));
  r->age = static_cast<std::uint64_t>(at(p_.ages, j));
  r->tag = next_tag_++;
  r->issued_at = now();
  ++sent_;
  ++outstanding_;
  ports("cores")[core].send(std::move(r));
}

void OpsDriver::on_answer(Port& port, TxnPtr<> t) {
  auto r = std::move(t).as<ComputeRequest>();
  ++answered_;
  --outstanding_;
  switch (r->status) {
    case Status::ok: ++ok_; break;
    case Status::unsupported: ++unsupported_; break;
    case Status::capacity_error: ++capacity_error_; break;
    case Status::refused: ++refused_; break;
    case Status::address_error: ++address_error_; break;
    case Status::pending: throw ModelError(name() + ": a core answered a request still pending");
  }
  const double latency = static_cast<double>(now() - r->issued_at);
  latency_.add(latency);
  latency_hist_.add(latency);
  service_.add(static_cast<double>(r->finished_at - r->started_at));
  energy_.add(r->energy_j);
  makespan_ += now() - makespan_.value();
  auto& queue = pending_[static_cast<std::size_t>(port.index())];
  if (!queue.empty()) {
    send(static_cast<std::size_t>(port.index()), queue.front());
    queue.pop_front();
  }
  if (outstanding_ == 0 && p_.end_run) end_simulation();
}

ComponentDecl ops_decl() {
  return component<OpsDriver, OpsParams>("workload.ops")
      .summary("Sends a list of ComputeRequests to linked cores and measures them; ends the run")
      .description("Entry j = (m[j], k[j], n[j], elements[j]); the list is sent `repeat` times to every "
                   "core (target = every) or entry j to cores[j % cores] (round_robin), all at time 0 "
                   "or serially per core. Latency is send to answer, links included.")
      .multi_port("cores", PortDir::inout, "compute", "the cores (ctrl ports), in link order")
      .counter("sent", "count", "requests sent")
      .counter("answered", "count", "requests answered")
      .counter("ok", "count", "answers with status ok")
      .counter("unsupported", "count", "answers with status unsupported")
      .counter("capacity_error", "count", "answers with status capacity_error")
      .counter("refused", "count", "answers with status refused")
      .counter("address_error", "count", "answers with status address_error")
      .counter("makespan", "ps", "time of the last answer")
      .accumulator("latency", "ps", "send to answer per request")
      .accumulator("service", "ps", "finished_at - started_at per request (the core's service)")
      .accumulator("energy", "J", "dynamic energy the core reported per request")
      .histogram("latency_hist", "ps", "send to answer per request");
}

}  // namespace strata::ops
