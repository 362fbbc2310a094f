#pragma once
// Seeded randomness: every id, jitter and fault probability comes from here (CONVENTIONS,
// principle 3), so a run with the same seed gives the same outputs. The algorithms are fixed
// (xoshiro256**, seeded through splitmix64), unlike std:: distributions, so results are the same
// on every standard library.

#include <array>
#include <cstdint>
#include <string>

namespace sim::core {

class Random {
public:
    explicit Random(std::uint64_t seed);

    std::uint64_t NextU64();
    /// Uniform in [0, bound) without modulo bias; bound must be > 0.
    std::uint64_t Below(std::uint64_t bound);
    /// Uniform in [lo, hi] inclusive.
    std::int64_t Between(std::int64_t lo, std::int64_t hi);
    /// Uniform in [0, 1).
    double NextDouble();
    /// A new generator whose sequence is independent of this one's future draws.
    Random Fork();

private:
    std::array<std::uint64_t, 4> s_{};
};

/// Identifiers from a seeded generator.
class IdGenerator {
public:
    explicit IdGenerator(std::uint64_t seed) : random_(seed) {}

    /// RFC 4122 version-4 layout, lower-case: "3f0c9b8e-....".
    std::string Uuid();
    /// `bytes` random bytes as lower-case hex.
    std::string Hex(std::size_t bytes);
    /// A trace id: 32 hex digits (W3C trace-context size).
    std::string TraceId() { return Hex(16); }

    Random& random() { return random_; }

private:
    Random random_;
};

}  // namespace sim::core
