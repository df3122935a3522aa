#pragma once
// Check digits and structure of the identifiers the built-in detectors look for, so that a
// finding is a number that can exist, not any run of digits. Pure functions; thread-safe.

#include <string>
#include <string_view>

namespace rampart::security::dlp {

// PRC resident identity number (GB 11643-1999): 17 digits and a check character (0-9 or X),
// a known province code, a real date of birth (1900 to `maxYear`), and the ISO 7064 MOD 11-2
// check character.
bool validResidentId(std::string_view id, int maxYear = 2100);

// Unified Social Credit Code (GB 32100-2015): 18 characters from "0-9A-HJ-NPQRTUWXY", a
// registration authority code and an organisation type, and the MOD 31 check character.
bool validUscc(std::string_view code);

// Luhn (ISO/IEC 7812-1 annex B) over a string of digits.
bool luhnValid(std::string_view digits);

// A mainland China mobile number: 11 digits starting with a number segment the MIIT has
// assigned to mobile networks (13x, 14x, 15x, 16x, 17x, 18x, 19x less the unassigned ones).
bool validMainlandMobile(std::string_view digits);

// Bank card: 16 to 19 digits passing Luhn, with an issuer identification number that is not
// all zeros.
bool validBankCard(std::string_view digits);

// The digits of `s` (separators such as spaces and dashes dropped).
std::string digitsOf(std::string_view s);

// An e-mail address's domain: two labels or more, each 1-63 letters, digits or hyphens not at
// either end, the last alphabetic.
bool validEmailDomain(std::string_view domain);

}  // namespace rampart::security::dlp
