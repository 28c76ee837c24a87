// strata/transaction.hpp - the messages that cross links, and how they are owned.
//
// A Transaction is one object carrying one whole transfer (a memory request, a packet, a
// compute command), as TLM-2.0's generic payload does. Rules:
//   * Allocation: Transaction overrides operator new/delete to take fixed-size blocks from
//     per-thread free lists in libstrata (size classes of 16 bytes up to 1 KiB), so creating
//     one on the hot path is a free-list pop, not a malloc. Create with strata::make<T>().
//   * Ownership: exactly one owner at a time, expressed by TxnPtr<T> (move-only). Sending a
//     TxnPtr on a port moves ownership into the kernel; the receiving handler gets it back
//     and may keep it, forward it (send it again: zero allocations), or drop it (recycled).
//   * Threads: a transaction may be freed on another thread than the one that made it; the
//     block simply joins that thread's free list.
//   * The kernel-owned header (delivery time, order key, target) is private: plugins never
//     touch ordering. Copying a transaction copies its payload, never its header.
//   * Serialization (for MPI ranks): override serialize()/deserialize() and register the
//     type with STRATA_TRANSACTION_TYPE(T) at namespace scope in one .cpp of the plugin;
//     standard transactions do. A transaction crosses ranks by value: the receiver gets a
//     new object with the same payload, so models identify requests by tag, not address.
#pragma once

#include <strata/units.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <typeinfo>
#include <utility>
#include <vector>

namespace strata {

class Port;
class Transaction;
template <class T>
class TxnPtr;
namespace detail {
struct EventAccess;
void* pool_allocate(std::size_t bytes);
void pool_release(void* block, std::size_t bytes) noexcept;
[[noreturn]] void throw_bad_cast(const Transaction& t, const char* wanted);
/// Make transactions of type `name` (a type_name()) known to the kernel, so one arriving
/// from another MPI rank can be created empty and deserialized. See STRATA_TRANSACTION_TYPE.
bool register_transaction_type(const char* name, Transaction* (*make_empty)());
/// A new, empty transaction of a registered type; nullptr when the name is unknown.
Transaction* make_transaction(const std::string& name);
}  // namespace detail

/// A flat byte buffer for serialize()/deserialize(); little-endian, no alignment.
class ByteBuffer {
 public:
  template <class T>
    requires std::is_trivially_copyable_v<T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const unsigned char*>(&v);
    data_.insert(data_.end(), p, p + sizeof(T));
  }
  void put_string(const std::string& s) {
    put<std::uint32_t>(static_cast<std::uint32_t>(s.size()));
    data_.insert(data_.end(), s.begin(), s.end());
  }
  template <class T>
    requires std::is_trivially_copyable_v<T>
  T get() {
    T v;
    check(sizeof(T));
    std::memcpy(&v, data_.data() + read_, sizeof(T));
    read_ += sizeof(T);
    return v;
  }
  std::string get_string() {
    auto n = get<std::uint32_t>();
    check(n);
    std::string s(reinterpret_cast<const char*>(data_.data() + read_), n);
    read_ += n;
    return s;
  }
  /// Copy the next n bytes out (checked like get()).
  void read(void* to, std::size_t n) {
    check(n);
    if (n) std::memcpy(to, data_.data() + read_, n);
    read_ += n;
  }
  std::size_t remaining() const { return data_.size() - read_; }
  const std::vector<unsigned char>& bytes() const { return data_; }
  std::vector<unsigned char>& bytes() { return data_; }

 private:
  void check(std::size_t n) const;
  std::vector<unsigned char> data_;
  std::size_t read_ = 0;
};

/// Base of every message that crosses a link or is scheduled on a component.
class Transaction {
 public:
  Transaction() = default;
  Transaction(const Transaction&) {}  // payload only: the header is the kernel's
  Transaction& operator=(const Transaction&) { return *this; }
  virtual ~Transaction() = default;

  static void* operator new(std::size_t bytes) { return detail::pool_allocate(bytes); }
  static void operator delete(void* block, std::size_t bytes) noexcept { detail::pool_release(block, bytes); }

  /// Stable type name used in traces, errors and serialization ("mem.request").
  virtual const char* type_name() const { return "transaction"; }
  /// Write/read the payload (not the header). Default: not serializable (throws).
  virtual void serialize(ByteBuffer& out) const;
  virtual void deserialize(ByteBuffer& in);

  /// Bytes this transaction occupies on a bandwidth-limited link (0: no serialisation).
  virtual std::uint64_t wire_bytes() const { return 0; }

  /// Simulated time at which this transaction was (or will be) delivered.
  Time delivery_time() const { return time_; }

 private:
  friend struct detail::EventAccess;
  // The receiving port and its handler travel with the transaction, so delivering it
  // touches only the transaction and the receiving component, not the port.
  Port* target_ = nullptr;
  void* handler_object_ = nullptr;
  void (*handler_call_)(void*, Port&, TxnPtr<Transaction>&&) = nullptr;
  Time time_ = 0;              // delivery time
  std::uint32_t source_ = 0;   // source id assigned at build time: tie key, part 1
  std::uint32_t seq_ = 0;      // per-source sequence (wraps; still a function of the model)
  std::uint8_t priority_ = 0;  // lower runs first among equal times
};

/// Move-only owning handle; dropping it recycles the transaction.
template <class T = Transaction>
class TxnPtr {
 public:
  TxnPtr() = default;
  explicit TxnPtr(T* p) : p_(p) {}
  TxnPtr(TxnPtr&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  template <class U>
    requires std::is_convertible_v<U*, T*>
  TxnPtr(TxnPtr<U>&& o) noexcept : p_(o.release()) {}
  TxnPtr& operator=(TxnPtr&& o) noexcept {
    if (this != &o) reset(std::exchange(o.p_, nullptr));
    return *this;
  }
  TxnPtr(const TxnPtr&) = delete;
  TxnPtr& operator=(const TxnPtr&) = delete;
  ~TxnPtr() { delete p_; }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }
  explicit operator bool() const { return p_ != nullptr; }
  T* release() { return std::exchange(p_, nullptr); }
  void reset(T* p = nullptr) {
    delete p_;
    p_ = p;
  }

  /// Checked downcast that keeps ownership: throws a ModelError-like message naming both
  /// types when the dynamic type is not U (a wiring mistake between plugins).
  template <class U>
  TxnPtr<U> as() && {
    if (auto* u = dynamic_cast<U*>(p_)) {
      p_ = nullptr;
      return TxnPtr<U>(u);
    }
    detail::throw_bad_cast(*p_, typeid(U).name());
  }
  /// Borrowing checked view.
  template <class U>
  U& view() const {
    if (auto* u = dynamic_cast<U*>(p_)) return *u;
    detail::throw_bad_cast(*p_, typeid(U).name());
  }

 private:
  T* p_ = nullptr;
};

/// Create a pooled transaction.
template <class T, class... Args>
TxnPtr<T> make(Args&&... args) {
  return TxnPtr<T>(new T(std::forward<Args>(args)...));
}

}  // namespace strata

/// Register T (default-constructible, with serialize/deserialize) for transfer between MPI
/// ranks; write once per type at namespace scope in a .cpp file.
#define STRATA_TRANSACTION_TYPE(T) STRATA_TRANSACTION_TYPE_AT(T, __COUNTER__)
#define STRATA_TRANSACTION_TYPE_AT(T, N) STRATA_TRANSACTION_TYPE_AT2(T, N)
#define STRATA_TRANSACTION_TYPE_AT2(T, N)                                                        \
  static const bool strata_transaction_type_##N = ::strata::detail::register_transaction_type( \
      T{}.type_name(), []() -> ::strata::Transaction* { return new T(); })
