// transactions.cpp - the transaction pool and the standard transactions' serialization.
#include <strata/component.hpp>
#include <strata/transactions.hpp>

#include <fmt/format.h>

#include <array>
#include <map>
#include <mutex>
#include <cstdlib>
#include <new>

namespace strata {
namespace detail {
namespace {
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, Transaction* (*)(), std::less<>>& registry() {
  static auto* r = new std::map<std::string, Transaction* (*)(), std::less<>>;  // outlives plugins' statics
  return *r;
}
}  // namespace

bool register_transaction_type(const char* name, Transaction* (*make_empty)()) {
  std::lock_guard lock(registry_mutex());
  registry()[name] = make_empty;  // a plugin loaded again re-registers: the newest wins
  return true;
}

Transaction* make_transaction(const std::string& name) {
  Transaction* (*make_empty)() = nullptr;
  {
    std::lock_guard lock(registry_mutex());
    auto it = registry().find(name);
    if (it == registry().end()) return nullptr;
    make_empty = it->second;
  }
  return make_empty();
}
}  // namespace detail

STRATA_TRANSACTION_TYPE(Signal);
STRATA_TRANSACTION_TYPE(MemRequest);
STRATA_TRANSACTION_TYPE(Packet);
STRATA_TRANSACTION_TYPE(TransferRequest);
STRATA_TRANSACTION_TYPE(ComputeRequest);

void ByteBuffer::check(std::size_t n) const {
  if (read_ + n > data_.size())
    throw std::runtime_error(fmt::format("truncated transaction payload: need {} more bytes, {} left", n,
                                         data_.size() - read_));
}

void Transaction::serialize(ByteBuffer&) const {
  throw ModelError(fmt::format("transaction type '{}' is not serializable", type_name()));
}
void Transaction::deserialize(ByteBuffer&) {
  throw ModelError(fmt::format("transaction type '{}' is not serializable", type_name()));
}

const char* to_string(Status s) {
  switch (s) {
    case Status::pending: return "pending";
    case Status::ok: return "ok";
    case Status::address_error: return "address-error";
    case Status::refused: return "refused";
    case Status::capacity_error: return "capacity-error";
    case Status::unsupported: return "unsupported";
  }
  return "?";
}

void Signal::serialize(ByteBuffer& o) const { o.put(tag); }
void Signal::deserialize(ByteBuffer& i) { tag = i.get<std::uint64_t>(); }

void MemRequest::serialize(ByteBuffer& o) const {
  o.put(op), o.put(address), o.put(bytes), o.put(tag), o.put(requester), o.put(status), o.put(issued_at);
}
void MemRequest::deserialize(ByteBuffer& i) {
  op = i.get<Op>(), address = i.get<std::uint64_t>(), bytes = i.get<std::uint64_t>(), tag = i.get<std::uint64_t>();
  requester = i.get<std::uint32_t>(), status = i.get<Status>(), issued_at = i.get<Time>();
}
void Packet::serialize(ByteBuffer& o) const {
  o.put(src), o.put(dst), o.put(bytes), o.put(message), o.put(sequence), o.put(packets_in_message);
  o.put(message_bytes), o.put(tag), o.put(vc), o.put(hops), o.put(injected_at);
}
void Packet::deserialize(ByteBuffer& i) {
  src = i.get<std::uint32_t>(), dst = i.get<std::uint32_t>(), bytes = i.get<std::uint64_t>();
  message = i.get<std::uint64_t>(), sequence = i.get<std::uint32_t>(), packets_in_message = i.get<std::uint32_t>();
  message_bytes = i.get<std::uint64_t>(), tag = i.get<std::uint64_t>(), vc = i.get<std::uint8_t>();
  hops = i.get<std::uint16_t>(), injected_at = i.get<Time>();
}
void TransferRequest::serialize(ByteBuffer& o) const {
  o.put(src), o.put(dst), o.put(bytes), o.put(tag), o.put(arrived), o.put(status), o.put(issued_at),
      o.put(completed_at);
}
void TransferRequest::deserialize(ByteBuffer& i) {
  src = i.get<std::uint32_t>(), dst = i.get<std::uint32_t>(), bytes = i.get<std::uint64_t>();
  tag = i.get<std::uint64_t>(), arrived = i.get<bool>(), status = i.get<Status>(), issued_at = i.get<Time>();
  completed_at = i.get<Time>();
}
void ComputeRequest::serialize(ByteBuffer& o) const {
  o.put(kind), o.put_string(op), o.put(m), o.put(k), o.put(n), o.put(elements), o.put(weight_bits), o.put(input_bits);
  o.put(output_bits), o.put(static_weights), o.put(weight_id), o.put(tag), o.put(age), o.put(status), o.put(issued_at);
  o.put(started_at), o.put(finished_at), o.put(energy_j);
}
void ComputeRequest::deserialize(ByteBuffer& i) {
  kind = i.get<Kind>(), op = i.get_string(), m = i.get<std::uint64_t>(), k = i.get<std::uint64_t>();
  n = i.get<std::uint64_t>(), elements = i.get<std::uint64_t>(), weight_bits = i.get<std::uint8_t>();
  input_bits = i.get<std::uint8_t>(), output_bits = i.get<std::uint8_t>(), static_weights = i.get<bool>();
  weight_id = i.get<std::uint64_t>(), tag = i.get<std::uint64_t>(), age = i.get<std::uint64_t>();
  status = i.get<Status>(), issued_at = i.get<Time>(), started_at = i.get<Time>(), finished_at = i.get<Time>(), energy_j = i.get<double>();
}

}  // namespace strata
