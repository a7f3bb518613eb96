// WordScanner: the words of a text as mentions() sees them (ASCII letters
// and digits; every other byte separates words), found without a branch per
// byte, and a 64-bit key per word for vocabulary lookups.
//
// ForEachWord classifies 64 bytes at a time into a bitmask of word bytes
// (SSE2 where available, a table otherwise) and walks word starts and ends
// with count-trailing-zeros, so its cost is per word, not per byte. WordKey
// packs a word of up to 8 bytes, lower-cased, into an exact key (the word
// length tells 8-byte words apart from shorter ones); longer words get a
// hash key that a caller must confirm by comparing bytes.
//
// Internal to engine/match/phrase_index.h. Thread-safety: pure functions.
#ifndef LANTERN_ENGINE_MATCH_WORD_SCANNER_H_
#define LANTERN_ENGINE_MATCH_WORD_SCANNER_H_

#include <cstdint>
#include <cstring>

#include "absl/strings/string_view.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace lantern {
namespace word_scanner {

inline bool IsWordByte(unsigned char c) {
  const unsigned char lower = c | 0x20;
  return (lower >= 'a' && lower <= 'z') || (c >= '0' && c <= '9');
}

// Bit i set iff block[i] is a word byte, for the `n` <= 64 bytes at `block`.
inline uint64_t WordMask(const char* block, size_t n) {
  uint64_t mask = 0;
  size_t i = 0;
#if defined(__SSE2__)
  const __m128i a = _mm_set1_epi8('a'), digit0 = _mm_set1_epi8('0');
  const __m128i case_bit = _mm_set1_epi8(0x20);
  const __m128i max_letter = _mm_set1_epi8(25), max_digit = _mm_set1_epi8(9);
  for (; i + 16 <= n; i += 16) {
    const __m128i v =
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(block + i));
    const __m128i letter = _mm_sub_epi8(_mm_or_si128(v, case_bit), a);
    const __m128i digit = _mm_sub_epi8(v, digit0);
    // x <= k as unsigned bytes: min(x, k) == x.
    const __m128i is_letter =
        _mm_cmpeq_epi8(_mm_min_epu8(letter, max_letter), letter);
    const __m128i is_digit =
        _mm_cmpeq_epi8(_mm_min_epu8(digit, max_digit), digit);
    const uint32_t bits = static_cast<uint32_t>(
        _mm_movemask_epi8(_mm_or_si128(is_letter, is_digit)));
    mask |= static_cast<uint64_t>(bits) << i;
  }
#endif
  for (; i < n; ++i) {
    mask |= static_cast<uint64_t>(IsWordByte(block[i])) << i;
  }
  return mask;
}

// Calls on_word(begin, end) for every word of `text`, in order.
template <typename OnWord>
void ForEachWord(absl::string_view text, OnWord&& on_word) {
  const char* data = text.data();
  const size_t n = text.size();
  bool in_word = false;
  size_t begin = 0;
  for (size_t base = 0; base < n; base += 64) {
    const size_t len = n - base < 64 ? n - base : 64;
    uint64_t words = WordMask(data + base, len);
    // Edges: bits where word-ness changes from the previous byte.
    const uint64_t previous = (words << 1) | (in_word ? 1 : 0);
    uint64_t edges = words ^ previous;
    while (edges != 0) {
      const int bit = __builtin_ctzll(edges);
      edges &= edges - 1;
      if (!in_word) {
        begin = base + bit;
      } else {
        on_word(begin, base + bit);
      }
      in_word = !in_word;
    }
    in_word = len == 64 ? (words >> 63) != 0 : in_word;
  }
  if (in_word) on_word(begin, n);
}

// Up to 8 bytes at `p` (all of them readable up to `limit`), little-endian.
inline uint64_t LoadUpTo8(const char* p, size_t len, const char* limit) {
  uint64_t v = 0;
  if (p + 8 <= limit) {
    std::memcpy(&v, p, 8);  // one load; the caller masks the extra bytes
    return v;
  }
  for (size_t i = 0; i < len; ++i) {
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  }
  return v;
}

// The lower-cased bytes of a word of up to 8 bytes, packed little-endian;
// for longer words, a hash of all of them. Bytes up to `limit` (the end of
// the text) may be read.
inline uint64_t WordKey(const char* word, size_t len, const char* limit) {
  constexpr uint64_t kLower = 0x2020202020202020ull;
  auto keep = [](size_t n) {
    return n >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * n)) - 1;
  };
  if (len <= 8) return (LoadUpTo8(word, len, limit) | kLower) & keep(len);
  uint64_t hash = len;
  for (size_t i = 0; i < len; i += 8) {
    const size_t n = len - i < 8 ? len - i : 8;
    const uint64_t chunk = (LoadUpTo8(word + i, n, limit) | kLower) & keep(n);
    hash = (hash ^ chunk) * 0x9E3779B97F4A7C15ull;
    hash ^= hash >> 29;
  }
  return hash;
}

}  // namespace word_scanner
}  // namespace lantern

#endif  // LANTERN_ENGINE_MATCH_WORD_SCANNER_H_
