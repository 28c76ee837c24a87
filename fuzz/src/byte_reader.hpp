// byte_reader.hpp - structured values from fuzz bytes (a tiny FuzzedDataProvider that also
// builds with gcc, so the replay test needs no clang header). Reads past the end give 0.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace strata::fuzz {

class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
  bool empty() const { return n_ == 0; }
  std::uint8_t byte() {
    if (!n_) return 0;
    --n_;
    return *p_++;
  }
  bool flag() { return byte() & 1; }
  std::size_t below(std::size_t n) { return n ? byte() % n : 0; }
  std::uint64_t u64() {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | byte();
    return v;
  }
  double real() {
    // mostly small readable numbers, sometimes any bit pattern (inf, nan, denormals)
    switch (below(4)) {
      case 0: return static_cast<double>(static_cast<std::int8_t>(byte()));
      case 1: return static_cast<double>(u64() % 1000000) / 1000.0;
      case 2: {
        std::uint64_t bits = u64();
        double d;
        std::memcpy(&d, &bits, sizeof d);
        return d;
      }
      default: return static_cast<double>(static_cast<std::int64_t>(u64()));
    }
  }
  /// A short string: mostly identifier-ish, sometimes raw bytes (NUL, UTF-8 fragments).
  std::string str(std::size_t max_len = 12) {
    static constexpr char kAlphabet[] = "abcxyz_019.ABZ-[] ";
    std::size_t len = below(max_len + 1);
    bool raw = (byte() & 7) == 0;
    std::string s;
    for (std::size_t i = 0; i < len; ++i) {
      std::uint8_t b = byte();
      s += raw ? static_cast<char>(b) : kAlphabet[b % (sizeof kAlphabet - 1)];
    }
    return s;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
};

}  // namespace strata::fuzz
