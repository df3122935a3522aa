#pragma once
// The terms a text is indexed and searched by (XEP-0431 full-text search in archives): words
// split at Unicode word boundaries (ICU, UAX #29), case-folded and NFKC-normalised; Chinese,
// Japanese and Korean text, which has no spaces, as overlapping character bigrams plus single
// characters. A search matches a message holding every term of the search string.
// Stateless; thread-safe.

#include <string>
#include <string_view>
#include <vector>

namespace rampart::core {

inline constexpr std::size_t kMaxSearchTerms = 512;  // per text; the rest is not indexed
// What storage keeps of a term: a digest of this many bytes (collisions only widen a search
// by chance, about one term pair in 2^64).
inline constexpr std::size_t kTermDigestBytes = 8;

// Distinct terms of a message text, in first-seen order (at most kMaxSearchTerms).
std::vector<std::string> indexTerms(std::string_view text);
// The terms a search string must all match: like indexTerms, but a run of two or more CJK
// characters gives only its bigrams (single characters only for a one-character run).
std::vector<std::string> queryTerms(std::string_view text);
// The terms' SHA-256 digests (kTermDigestBytes each, concatenated): what storage keeps of them
// when no key blinds them (encryption off).
std::string plainTermDigests(const std::vector<std::string>& terms);

}  // namespace rampart::core
