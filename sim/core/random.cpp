#include "sim/core/random.hpp"

namespace sim::core {

namespace {
std::uint64_t SplitMix64(std::uint64_t& x) {
    std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
std::uint64_t Rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Random::Random(std::uint64_t seed) {
    for (auto& word : s_) word = SplitMix64(seed);
}

std::uint64_t Random::NextU64() {
    const std::uint64_t result = Rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = Rotl(s_[3], 45);
    return result;
}

std::uint64_t Random::Below(std::uint64_t bound) {
    // Rejection sampling: draws past the largest multiple of bound are redrawn.
    const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
    std::uint64_t x;
    do {
        x = NextU64();
    } while (x >= limit);
    return x % bound;
}

std::int64_t Random::Between(std::int64_t lo, std::int64_t hi) {
    // In unsigned arithmetic: hi - lo overflows std::int64_t for a range wider than half of it.
    auto span = static_cast<std::uint64_t>(hi) - static_cast<std::uint64_t>(lo) + 1;
    if (span == 0) return static_cast<std::int64_t>(NextU64());  // the full 64-bit range
    return static_cast<std::int64_t>(static_cast<std::uint64_t>(lo) + Below(span));
}

double Random::NextDouble() { return static_cast<double>(NextU64() >> 11) * 0x1.0p-53; }

Random Random::Fork() { return Random(NextU64()); }

std::string IdGenerator::Hex(std::size_t bytes) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes * 2);
    std::uint64_t word = 0;
    for (std::size_t i = 0; i < bytes; ++i) {
        if (i % 8 == 0) word = random_.NextU64();
        auto b = static_cast<unsigned>(word & 0xff);
        word >>= 8;
        out.push_back(kHex[b >> 4]);
        out.push_back(kHex[b & 15]);
    }
    return out;
}

std::string IdGenerator::Uuid() {
    std::string h = Hex(16);
    h[12] = '4';                                         // version 4
    h[16] = "89ab"[(h[16] - '0' + 0) & 3];               // RFC 4122 variant
    return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) + "-" + h.substr(20);
}

}  // namespace sim::core
